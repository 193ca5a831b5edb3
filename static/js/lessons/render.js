// Lesson text drawn from the tree the server parsed (app/lessons/markdown.py):
// elements built one by one, text always as text, so nothing a lesson says can
// become HTML on the page. Maths is typeset with the vendored KaTeX.

import { typeset } from "../common/typeset.js";

function inline(nodes, parent) {
  for (const node of nodes) {
    let el;
    switch (node.type) {
      case "text":
        parent.append(node.text);
        continue;
      case "strong":
      case "em":
        el = document.createElement(node.type);
        inline(node.children, el);
        break;
      case "code":
        el = document.createElement("code");
        el.textContent = node.text;
        break;
      case "math":
        el = document.createElement("span");
        el.className = "lesson-math";
        typeset(el, node.tex, { display: false });
        break;
      case "link":
        el = document.createElement("a");
        el.href = node.href;
        if (/^https?:/.test(node.href)) {
          // another site: its own tab, so the lesson stays where it is
          el.target = "_blank";
          el.rel = "noopener noreferrer";
        } else if (node.href.startsWith("/") && !node.href.startsWith("/lessons")) {
          el.target = "_top";
        }
        inline(node.children, el);
        break;
      default:
        continue; // a node this page does not know: left out rather than guessed
    }
    parent.append(el);
  }
}

/** Draw a text's blocks (`{markdown, blocks}` from the API) into `container`, replacing it. */
export function renderText(container, text) {
  container.replaceChildren();
  for (const block of text.blocks) {
    if (block.type === "paragraph") {
      const p = document.createElement("p");
      inline(block.children, p);
      container.append(p);
    } else if (block.type === "list") {
      const list = document.createElement(block.ordered ? "ol" : "ul");
      for (const item of block.items) {
        const li = document.createElement("li");
        inline(item, li);
        list.append(li);
      }
      container.append(list);
    } else if (block.type === "math") {
      const div = document.createElement("div");
      div.className = "lesson-math-display";
      typeset(div, block.tex, { display: true, fit: true });
      container.append(div);
    }
  }
  return container;
}

/** One paragraph's inlines (a choice) into `parent`. */
export function renderInline(parent, text) {
  parent.replaceChildren();
  const block = text.blocks[0];
  if (block && block.type === "paragraph") inline(block.children, parent);
  return parent;
}
