// Inline SVG from the server (drawings and the lineage, made by graphviz), with zoom and pan.
//
// The SVG is inlined rather than shown with <img> so that the lineage's <a> nodes are clickable.
// It is parsed as XML (never as HTML) and anything that could run script is dropped first: the
// labels inside carry candidate ids and block names read from files.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Parse SVG text into an <svg> element for this document, or throw with the parser's message. */
export function parseSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const problem = doc.querySelector("parsererror");
  if (problem) throw new Error(`the drawing is not valid SVG: ${problem.textContent.slice(0, 200)}`);
  const svg = doc.documentElement;
  if (svg.namespaceURI !== SVG_NS || svg.localName !== "svg") throw new Error("the drawing is not an SVG");
  sanitize(svg);
  return document.importNode(svg, true);
}

function sanitize(root) {
  for (const node of root.querySelectorAll("script, foreignObject, iframe")) node.remove();
  for (const element of [root, ...root.querySelectorAll("*")]) {
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase();
      const scripted = /^\s*javascript:/i.test(attribute.value);
      if (name.startsWith("on") || scripted) element.removeAttribute(attribute.name);
    }
  }
}

/**
 * Make an inline SVG zoomable with the mouse wheel and pannable by dragging, by changing its
 * viewBox (a few lines of arithmetic, no library). Returns {zoom(factor), fit(), viewBox(),
 * setViewBox(box)}. A drag that moved suppresses the click that ends it, so panning over a
 * lineage node does not open the candidate.
 */
export function panZoom(svg) {
  const original = readViewBox(svg);
  let box = { ...original };
  const apply = () => svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.width} ${box.height}`);
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  // the page's CSS may size the frame by the drawing's shape (see .svg-frame in style.css)
  svg.style.setProperty("--aspect", `${original.width} / ${original.height}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  apply();

  /** Zoom by `factor` (< 1 zooms in) keeping the SVG point under (clientX, clientY) in place. */
  function zoomAt(factor, clientX, clientY) {
    const point = toSvgPoint(svg, clientX, clientY);
    box = {
      x: point.x - (point.x - box.x) * factor,
      y: point.y - (point.y - box.y) * factor,
      width: box.width * factor,
      height: box.height * factor,
    };
    apply();
  }

  svg.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      zoomAt(Math.exp(event.deltaY * 0.0015), event.clientX, event.clientY);
    },
    { passive: false },
  );
  installDrag(
    svg,
    () => box,
    (next) => {
      box = next;
      apply();
    },
  );

  const center = () => {
    const rect = svg.getBoundingClientRect();
    return [rect.left + rect.width / 2, rect.top + rect.height / 2];
  };
  return {
    zoom: (factor) => zoomAt(factor, ...center()),
    fit: () => {
      box = { ...original };
      apply();
    },
    viewBox: () => ({ ...box }),
    setViewBox: (next) => {
      box = { ...next };
      apply();
    },
  };
}

/** Drag to pan: the viewBox moves by the pointer's movement in SVG units. */
function installDrag(svg, getBox, setBox) {
  let drag = null;
  let moved = false;
  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, box: getBox(), scale: svgUnitsPerPixel(svg, getBox()) };
    moved = false;
  });
  svg.addEventListener("pointermove", (event) => {
    if (drag === null) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!moved && Math.hypot(dx, dy) < 4) return; // a click with a shaky hand is still a click
    if (!moved) svg.setPointerCapture(event.pointerId);
    moved = true;
    svg.classList.add("dragging");
    setBox({ ...drag.box, x: drag.box.x - dx * drag.scale, y: drag.box.y - dy * drag.scale });
  });
  const end = () => {
    drag = null;
    svg.classList.remove("dragging");
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  svg.addEventListener(
    "click",
    (event) => {
      if (moved) {
        event.preventDefault();
        event.stopPropagation();
        moved = false;
      }
    },
    true,
  );
}

function readViewBox(svg) {
  const values = (svg.getAttribute("viewBox") || "")
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (values.length === 4 && values.every(Number.isFinite) && values[2] > 0 && values[3] > 0) {
    return { x: values[0], y: values[1], width: values[2], height: values[3] };
  }
  // graphviz always writes a viewBox; fall back to the size for SVGs without one
  const width = parseFloat(svg.getAttribute("width")) || 100;
  const height = parseFloat(svg.getAttribute("height")) || 100;
  return { x: 0, y: 0, width, height };
}

/** With preserveAspectRatio "meet" the larger of the two ratios is the one in force. */
function svgUnitsPerPixel(svg, box) {
  const rect = svg.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return 1;
  return Math.max(box.width / rect.width, box.height / rect.height);
}

function toSvgPoint(svg, clientX, clientY) {
  const matrix = svg.getScreenCTM();
  if (!matrix) return { x: 0, y: 0 };
  return new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse());
}
