/** DOM nodes as a short summary a reader can find the node by (never the node's whole tree). */

export function isDomNode(value: object): boolean {
  const v = value as { nodeType?: unknown; nodeName?: unknown };
  try {
    return typeof v.nodeType === 'number' && typeof v.nodeName === 'string';
  } catch {
    return false;
  }
}

/** `div#app.main.wide`, `#text "hello"`, `#document`: what a reader needs to find the node. */
export function nodeSummary(node: object): string {
  try {
    const n = node as Node & Partial<Element>;
    if (n.nodeType === 1) {
      let s = (n.localName || n.nodeName).toLowerCase();
      if (n.id) s += `#${n.id}`;
      const cls = typeof n.className === 'string' ? n.className.trim() : n.getAttribute?.('class')?.trim();
      if (cls) s += `.${cls.split(/\s+/).slice(0, 5).join('.')}`;
      const name = n.getAttribute?.('name');
      if (name) s += `[name="${name.slice(0, 40)}"]`;
      return s.slice(0, 200);
    }
    if (n.nodeType === 3 || n.nodeType === 8) {
      const text = (n.textContent ?? '').trim();
      return `${n.nodeName} "${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`;
    }
    return n.nodeName;
  } catch {
    return 'node';
  }
}

export function isWindow(value: object): boolean {
  try {
    return (value as { window?: unknown }).window === value && typeof (value as Window).document === 'object';
  } catch {
    return false;
  }
}
