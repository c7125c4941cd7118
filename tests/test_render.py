"""Templates: golden agendas, plan text kept as data, user templates, the sandbox and the
errors a template author sees."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

import ipt_plan
from conftest import PLANS, REFERENCE, TESTS, golden_exists
from ipt_plan import load_file, load_string
from ipt_plan.renderer import FORMATS, TemplateProblem, check_templates, render

GOLDEN = TESTS / "golden" / "agendas"
BUNDLED = sorted(PLANS.glob("*.iptplan"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("plan", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_golden_agendas(plan, fmt):
    documents = render(load_file(plan), fmt)
    folder = GOLDEN / plan.stem / fmt
    if not golden_exists(folder):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for document in documents:
            (folder / document.name).write_bytes(document.text.encode("utf-8"))
    assert sorted(d.name for d in documents) == sorted(p.name for p in folder.iterdir())
    for document in documents:
        assert document.text.encode("utf-8") == (folder / document.name).read_bytes(), document.name


def test_library_api_returns_overview_then_each_session():
    documents = ipt_plan.render(load_file(REFERENCE), fmt="txt")
    assert [d.name for d in documents] == ["overview.txt"] + [
        f"session-{n:02d}.txt" for n in range(1, 17)]
    assert isinstance(documents[0], ipt_plan.Document)
    assert "SESSION 6 OF 16" in documents[6].text and "2027-01-18" in documents[6].text
    assert "TIME LIMIT: 10 sessions remain after this one." in documents[6].text
    # Importing the modules does not replace the function with a module of the same name.
    importlib.import_module("ipt_plan.batch")
    importlib.import_module("ipt_plan.renderer")
    assert callable(ipt_plan.render) and ipt_plan.render.__module__ == "ipt_plan.renderer"


def test_session_files_are_padded_to_the_longest_number():
    documents = render(load_file(PLANS / "maintenance-recurrent-depression.iptplan"))
    assert documents[1].name == "session-01.md" and documents[-1].name == "session-26.md"
    zero = render(load_file(PLANS / "group-loneliness-isolation.iptplan"))[1]
    assert zero.name == "session-00.md" and "Session 0, before the 8-session course" in zero.text


def test_the_agenda_says_what_a_clinician_needs(reference_text):
    five = render(load_file(REFERENCE))[5].text
    assert five.startswith("# Session 5 of 16\n")
    assert "> **Time limit: 11 sessions remain after this one.**" in five
    assert "- [ ] PHQ-9: Patient Health Questionnaire (depression)" in five
    assert ("**Homework to review:**\n\n- Write down each request Anna makes this week and "
            "your answer") in five
    # Where a task comes from is small print at the foot, not part of its heading.
    assert "### Linking mood to events\n" in five
    assert five.endswith("*Asked by the protocol, not written in the plan: Linking mood to events. "
                         "From the plan caregiver-dispute.iptplan, session 5 at line 39.*\n")
    assert "### Decision analysis, for sister" in five and "- What are all the things" in five
    last = render(load_file(REFERENCE))[16].text
    assert "Time limit: this is the last session." in last


INJECTION = "{{ 7*7 }} <script>alert('x')</script> {% if 1 %}yes{% endif %} | &amp;"


def plan_with_injected_text(reference_text):
    text = reference_text.replace('plan "Ms. A: caregiving conflict with her sister"',
                                  f'plan "{INJECTION}"')
    text = text.replace('role_play for sister "Saying no to the Thursday appointment"',
                        f'role_play for sister "{INJECTION}"')
    text = text.replace('session 4 "The hospital appointment argument"', f'session 4 "{INJECTION}"')
    result = load_string(text, "injected.iptplan")
    assert result.ok, result.diagnostics
    return result


@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_plan_text_prints_literally(reference_text, fmt):
    documents = render(plan_with_injected_text(reference_text), fmt)
    six = documents[6].text
    assert "{{ 7*7 }}" in six and "{% if 1 %}yes{% endif %}" in six and "49" not in six
    assert "<script>alert('x')</script>" in six


def test_plan_text_is_escaped_in_html(reference_text):
    documents = render(plan_with_injected_text(reference_text), "html")
    for document in documents:
        assert "<script>" not in document.text
    six = documents[6].text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in six
    assert "{{ 7*7 }}" in six and "&amp;amp;" in six


def test_markdown_table_cells_escape_the_pipe(reference_text):
    overview = render(plan_with_injected_text(reference_text), "md")[0].text
    (row,) = [line for line in overview.split("\n") if line.startswith("| 4 |")]
    assert "\\|" in row and row.count(" | ") == 4  # five cells, the plan's pipe escaped


class _Balance(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def test_html_is_a_complete_printable_document():
    for document in render(load_file(REFERENCE), "html", pack=True):
        html = document.text
        assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
        parser = _Balance()
        parser.feed(html)
        assert parser.open == [] and "style" in parser.tags
        assert "@page" in html and "@media print" in html
        for external in ("http://", "https://", "<link", "<script", "src=", "@import"):
            assert external not in html, (document.name, external)
    session = render(load_file(REFERENCE), "html")[6].text
    assert '<article class="session">' in session and "article + article { break-before: page; }" in session
    assert '<p class="time-limit">Time limit: 10 sessions remain after this one.</p>' in session


def test_the_pack_holds_the_overview_and_every_session_as_their_own_files_do():
    *documents, pack = render(load_file(REFERENCE), "html", pack=True)
    assert pack.name == "course.html" and [d.name for d in documents] == [
        d.name for d in render(load_file(REFERENCE), "html")]

    def articles(html: str) -> list[str]:
        return re.findall(r"<article .*?</article>", html, re.S)

    assert articles(pack.text) == [articles(d.text)[0] for d in documents]
    # one style sheet, whose print rule starts each article after the first on a new page
    assert pack.text.count("<style>") == 1 and "article + article { break-before: page; }" in pack.text
    assert "<title>Ms. A: caregiving conflict with her sister: overview and every session</title>" in pack.text


def test_user_template_overrides_one_builtin(tmp_path):
    (tmp_path / "session.md.j2").write_text(
        "Our clinic, session {{ session.number }} on {{ session.date }}\n", encoding="utf-8")
    documents = render(load_file(REFERENCE), "md", templates=tmp_path)
    assert documents[6].text == "Our clinic, session 6 on 2027-01-18\n"
    assert documents[0].text.startswith("# Ms. A: caregiving conflict with her sister\n")


def write_template(folder, text, name="session.md.j2"):
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_a_template_typo_names_template_and_line(tmp_path):
    path = write_template(tmp_path, "# Session\n\nDate: {{ session.date }}\n{{ sesion.number }}\n")
    with pytest.raises(TemplateProblem) as caught:
        render(load_file(REFERENCE), "md", templates=tmp_path)
    assert (caught.value.path, caught.value.line) == (str(path), 4)
    assert str(caught.value).startswith(f"{path}:4: template error: 'sesion' is undefined")


def test_a_misspelt_field_suggests_the_right_one(tmp_path):
    write_template(tmp_path, "{{ session.numbr }}\n")
    with pytest.raises(TemplateProblem, match="SessionAgenda has no field 'numbr'; did you mean "
                                              "'number'?"):
        render(load_file(REFERENCE), "md", templates=tmp_path)


def test_a_template_syntax_error_is_found_before_rendering(tmp_path):
    path = write_template(tmp_path, "line one\n{% if session.number %}\nno endif\n",
                          "overview.md.j2")
    with pytest.raises(TemplateProblem) as caught:
        check_templates("md", tmp_path)
    assert caught.value.path == str(path) and caught.value.line == 3
    assert "syntax error" in caught.value.message and "endif" in caught.value.message


@pytest.mark.parametrize("escape", [
    "{{ ''.__class__.__mro__ }}",
    "{{ session.__class__.__init__.__globals__ }}",
    "{{ course.sessions.__class__.__subclasses__() }}",
])
def test_a_sandbox_escape_is_refused(tmp_path, escape):
    write_template(tmp_path, "fine\n" + escape + "\n")
    with pytest.raises(TemplateProblem) as caught:
        render(load_file(REFERENCE), "md", templates=tmp_path)
    assert caught.value.line == 2
    assert "refused" in caught.value.message and "sandbox" in caught.value.message


def test_check_does_not_import_jinja2():
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "ipt_plan", "check",
                          str(REFERENCE)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    imported = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()]
    assert "ipt_plan.loader" in imported  # the measurement saw the checker's imports
    assert not [m for m in imported if m.startswith(("jinja2", "ipt_plan.renderer",
                                                     "ipt_plan.agenda", "ipt_plan.batch"))]
