() => {
    const problems = [];
    const visible = (el) => {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        // checkVisibility: not inside a closed <details> or another skipped subtree
        return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && el.checkVisibility();
    };
    const describe = (el) => el.outerHTML.slice(0, 120);

    // fits the width
    const overflow = document.documentElement.scrollWidth - window.innerWidth;
    if (overflow > 0) problems.push(`scrolls sideways by ${overflow}px`);

    // nothing sticks out past the window's edges, even where a box that scrolls or clips
    // hides it (only the boxes meant to scroll sideways may hold wider content)
    const scrollers = ".cm-editor, .files, .tabs, .url, pre, .diff, .output, .grid-wrap, .sr-only";
    const sticksOut = (el) => {
        const box = el.getBoundingClientRect();
        return box.right > window.innerWidth + 1 || box.left < -1;
    };
    for (const el of document.querySelectorAll("body *")) {
        if (el.closest(scrollers) || !visible(el) || !sticksOut(el)) continue;
        if (el.parentElement && el.parentElement !== document.body && sticksOut(el.parentElement)) continue;
        const box = el.getBoundingClientRect();
        problems.push(`sticks out of the window (${Math.round(box.left)} to ${Math.round(box.right)}px): ${describe(el)}`);
    }

    // controls have names
    for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
        // (the designer's canvas draws the owner's own app, labelled as they label it)
        if (!visible(el) || el.closest(".cm-editor, .wb-canvas")) continue;
        const name = (el.labels && el.labels.length) || el.getAttribute("aria-label")
            || el.getAttribute("aria-labelledby") || el.textContent.trim() || el.title;
        if (!name) problems.push(`no accessible name: ${describe(el)}`);
    }

    // one way to make a widget on a page: the header's button (or the page's own)
    const makers = [...document.querySelectorAll("a, button")].filter(
        (el) => visible(el) && el.textContent.trim() === "New widget");
    if (makers.length > 1) problems.push(`${makers.length} "New widget" buttons`);

    // controls and labels never overlap one another (a squeezed layout piles them up);
    // the boxes that draw or scroll content of their own are left out
    const drawn = ".cm-editor, .wb-canvas, .wb-preview, .toasts, .sr-only, .skip";
    const pieces = [...document.querySelectorAll(
        "button, a[href], input, select, textarea, label, h1, h2, h3, .badge, .wb-hint")]
        .filter((el) => visible(el) && !el.closest(drawn) && getComputedStyle(el).position !== "fixed");
    const boxes = pieces.map((el) => el.getBoundingClientRect());
    for (let i = 0; i < pieces.length; i++) {
        for (let j = i + 1; j < pieces.length; j++) {
            const [a, b] = [pieces[i], pieces[j]];
            if (a.contains(b) || b.contains(a)) continue;
            const [p, q] = [boxes[i], boxes[j]];
            const width = Math.min(p.right, q.right) - Math.max(p.left, q.left);
            const height = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
            if (width > 2 && height > 2) problems.push(`overlap: ${describe(a)} and ${describe(b)}`);
        }
    }

    // one main heading, and a main landmark
    if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
    if (!document.querySelector("main")) problems.push("no main landmark");

    // text contrast (WCAG AA: 4.5:1, or 3:1 for large text)
    const parse = (color) => {
        const m = color.match(/rgba?\(([^)]+)\)/);
        if (!m) return null;
        const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        return { r, g, b, a };
    };
    const background = (el) => {
        for (let node = el; node; node = node.parentElement) {
            const bg = parse(getComputedStyle(node).backgroundColor);
            if (bg && bg.a > 0.5) return bg;
        }
        return { r: 255, g: 255, b: 255, a: 1 };
    };
    const luminance = ({ r, g, b }) => {
        const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const seen = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (!walker.currentNode.textContent.trim() || !el || seen.has(el) || !visible(el)) continue;
        seen.add(el);
        if (el.closest("button:disabled, .sr-only, [aria-hidden=true]")) continue;
        const style = getComputedStyle(el);
        let fg = parse(style.color);
        const bg = background(el);
        if (!fg) continue;
        if (fg.a < 1) fg = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
        const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
        const ratio = (hi + 0.05) / (lo + 0.05);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: "${el.textContent.trim().slice(0, 40)}" (${style.color} on rgb(${bg.r}, ${bg.g}, ${bg.b}))`);
    }
    return problems;
}
