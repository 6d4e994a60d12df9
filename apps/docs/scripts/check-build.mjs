// Checks that `docs:build` produced the site and the generated API reference:
// the home page, every guide page, and the API index of each documented
// package (plus a few pages that must exist for the platform SDK and mm). Exits
// non-zero, naming each missing file, so a silently empty TypeDoc run fails
// the build instead of publishing a site without its reference.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, ".vitepress", "dist");

const guides = readdirSync(join(root, "guide"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `guide/${f.replace(/\.md$/, ".html")}`);

const required = [
  "index.html",
  ...guides,
  "api/index.html",
  "api/@tsvisor/abi/index.html",
  "api/@tsvisor/platform/index.html",
  "api/@tsvisor/platform/interfaces/Platform.html",
  "api/@tsvisor/platform/interfaces/AddressSpace.html",
  "api/@tsvisor/platform/interfaces/Context.html",
  "api/@tsvisor/platform/interfaces/SyscallTrap.html",
  "api/@tsvisor/mm/index.html",
  "api/@tsvisor/mm/classes/MemoryManager.html",
  "api/@tsvisor/mm/interfaces/Mappable.html",
];

const missing = required.filter((f) => !existsSync(join(dist, f)));
if (missing.length > 0) {
  console.error(`docs: missing from ${dist}:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
// The abi reference must show its constants, not just an empty module page.
const abiPage = readFileSync(join(dist, "api/@tsvisor/abi/index.html"), "utf8");
for (const name of ["ENOENT", "SYS_read", "SIGSEGV"]) {
  if (!abiPage.includes(name)) {
    console.error(`docs: api/@tsvisor/abi/index.html does not document ${name}`);
    process.exit(1);
  }
}
// The generated syscall table must list the calls as tables, not raw text.
const sysPage = readFileSync(join(dist, "guide/syscall-table.html"), "utf8");
if (!sysPage.includes("<table") || !sysPage.includes("openat")) {
  console.error("docs: guide/syscall-table.html has no syscall table");
  process.exit(1);
}
// VitePress checks that linked pages exist, not that their #anchors do:
// check every in-site link with an anchor in the hand-written pages.
const written = ["index.html", ...guides];
let anchors = 0;
for (const page of written) {
  const html = readFileSync(join(dist, page), "utf8");
  for (const [, href, id] of html.matchAll(/href="((?:\.{1,2}\/|\/)[^"#]*)#([^"]+)"/g)) {
    const target = href.startsWith("/") ? href.slice(1) : posix.join(posix.dirname(page), href);
    const file = target === "" || target.endsWith("/") ? `${target}index.html` : `${target}.html`;
    const targetHtml = existsSync(join(dist, file)) ? readFileSync(join(dist, file), "utf8") : "";
    if (!targetHtml.includes(`id="${id}"`)) {
      console.error(`docs: ${page} links to ${href}#${id}, which does not exist`);
      process.exit(1);
    }
    anchors++;
  }
}
console.log(`docs: ${anchors} cross-page anchors resolve`);
console.log(`docs: ${required.length} required pages present in .vitepress/dist`);
