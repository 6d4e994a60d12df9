import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DefaultTheme, defineConfig } from "vitepress";

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The API sidebar that TypeDoc (typedoc-vitepress-theme) writes next to the
 * generated pages. `docs:build` and `docs:dev` run TypeDoc first, so the file
 * exists then; a bare `vitepress dev` without it gets a single link instead
 * of failing to load the config.
 */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = join(docsRoot, "api", "typedoc-sidebar.json");
  if (!existsSync(file)) {
    return [{ text: "API reference (run `pnpm docs:build` to generate)", link: "/api/" }];
  }
  return JSON.parse(readFileSync(file, "utf8")) as DefaultTheme.SidebarItem[];
}

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: "Using tsvisor",
    items: [
      { text: "Getting started", link: "/guide/getting-started" },
      { text: "Embedding in Node", link: "/guide/embedding" },
      { text: "Syscall coverage", link: "/guide/syscalls" },
      { text: "Syscall table (generated)", link: "/guide/syscall-table" },
    ],
  },
  {
    text: "How it works",
    items: [
      { text: "Architecture", link: "/guide/architecture" },
      { text: "Platforms", link: "/guide/platforms" },
      { text: "Memory", link: "/guide/memory" },
      { text: "Task run states", link: "/guide/kernel-run-states" },
    ],
  },
  {
    text: "Measurements",
    items: [
      { text: "Performance", link: "/guide/performance" },
      { text: "Host facts", link: "/guide/host-facts" },
    ],
  },
  {
    text: "Working on tsvisor",
    items: [{ text: "Contributing", link: "/guide/contributing" }],
  },
];

export default defineConfig({
  title: "tsvisor",
  description:
    "An application kernel in TypeScript: run unmodified Linux x86-64 programs in a sandbox.",
  lang: "en-GB",
  cleanUrls: true,
  // api-intro.md is TypeDoc's input for the API index page, not a page itself.
  srcExclude: ["api-intro.md"],
  transformPageData(page) {
    // A package's API index lists every constant as a heading (thousands for
    // abi): keep its outline to the section headings.
    if (/^api\/@tsvisor\/[^/]+\/index\.md$/.test(page.relativePath)) {
      page.frontmatter.outline = [2, 2];
    }
  },
  vite: {
    // The abi API page (thousands of constants) is one chunk of about 0.9 MB;
    // that is expected, so warn only above that.
    build: { chunkSizeWarningLimit: 1500 },
  },
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/getting-started", activeMatch: "^/guide/" },
      { text: "Platforms", link: "/guide/platforms" },
      { text: "API", link: "/api/", activeMatch: "^/api/" },
    ],
    sidebar: {
      "/guide/": guide,
      "/api/": [{ text: "API reference", link: "/api/", items: apiSidebar() }],
    },
    outline: { level: [2, 3] },
    search: { provider: "local" },
    footer: { message: "Released under the Apache-2.0 licence." },
  },
});
