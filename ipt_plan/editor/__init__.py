"""What an editor asks of a plan, answered as plain data from a checked `Result` and the
document's text: where things are (positions in the editor's units), what may be typed
at the cursor (completion), what a word means (hover), the edits that resolve a
diagnostic (quick fixes), and the plan's outline (symbols, folding, a focus's definition
and references). `ipt_plan.lsp` speaks these to editors over the Language Server
Protocol; nothing here knows that protocol, so each piece is tested on its own.

positions -> fixes; context -> completion; hover; outline.
"""
