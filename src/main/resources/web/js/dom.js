// Tiny DOM helpers: element creation and keyed list reconciliation (no framework, no build step).

/**
 * h('button#send.primary', { onclick, 'aria-label': 'Send' }, 'Send')
 * Properties starting with "on" become listeners; `dataset`/`style` objects are merged;
 * everything else is an attribute (false/null/undefined skip it).
 */
export function h(spec, props = {}, ...children) {
  if (props === null || typeof props !== 'object' || props instanceof Node || Array.isArray(props)) {
    children.unshift(props); // no properties given: the second argument is a child
    props = {};
  }
  const id = spec.match(/#([\w-]+)/)?.[1];
  const [tag, ...classes] = spec.replace(/#[\w-]+/, '').split('.');
  const el = document.createElement(tag || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [name, value] of Object.entries(props || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset' || name === 'style') Object.assign(el[name], value);
    else if (name === 'class') el.className = [el.className, value].filter(Boolean).join(' ');
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `el`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Makes `container`'s children mirror `items`, reusing the element of every key whose signature
 * did not change, so focus, media playback and scroll position survive live updates.
 */
export function reconcile(container, items, { key, signature, render }) {
  const previous = container._keyed || new Map();
  const next = new Map();
  items.forEach((item, index) => {
    const k = key(item);
    const sig = signature(item);
    let entry = previous.get(k);
    if (!entry || entry.sig !== sig) {
      const el = render(item);
      if (entry) entry.el.replaceWith(el);
      entry = { el, sig };
    }
    next.set(k, entry);
    const current = container.children[index];
    if (current !== entry.el) container.insertBefore(entry.el, current || null);
  });
  for (const [k, entry] of previous) if (!next.has(k)) entry.el.remove();
  while (container.children.length > items.length) container.lastElementChild.remove();
  container._keyed = next;
}
