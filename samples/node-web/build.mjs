// Renders content/*.md into dist/*.html with one layout, and copies public/ into dist/.
import { marked } from "marked";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const layout = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="/style.css"></head>
<body><main>${body}</main></body></html>
`;

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
cpSync("public", "dist", { recursive: true });
for (const file of readdirSync("content").filter((f) => f.endsWith(".md"))) {
  const markdown = readFileSync(`content/${file}`, "utf8");
  const title = markdown.match(/^# (.*)$/m)?.[1] ?? file;
  writeFileSync(`dist/${file.replace(/\.md$/, ".html")}`, layout(title, marked.parse(markdown)));
}
console.log(`built ${readdirSync("dist").length} files into dist/`);
