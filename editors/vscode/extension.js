// The VS Code side of ipt-plan: starts `ipt-plan lsp` (the command in the setting
// ipt-plan.server.command) for .iptplan files; everything else is the server's.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const [command, ...args] = vscode.workspace
    .getConfiguration("ipt-plan")
    .get("server.command", ["ipt-plan", "lsp"]);
  return { command, args, transport: TransportKind.stdio };
}

async function start() {
  client = new LanguageClient("ipt-plan", "ipt-plan", serverOptions(), {
    documentSelector: [
      { scheme: "file", language: "iptplan" },
      { scheme: "untitled", language: "iptplan" },
    ],
  });
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `ipt-plan: the language server did not start (${err}). Install it with ` +
        "pip install 'ipt-plan[lsp]', or set ipt-plan.server.command to where it is."
    );
  }
}

async function activate(context) {
  await start();
  // A new command takes effect at once: the server is started again with it.
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("ipt-plan.server.command")) {
        await deactivate();
        await start();
      }
    })
  );
}

async function deactivate() {
  if (client) {
    const stopping = client;
    client = undefined;
    await stopping.stop().catch(() => undefined);
  }
}

module.exports = { activate, deactivate };
