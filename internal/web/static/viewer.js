// The document viewer: draws a PDF of the document with pdf.js (vendored, see
// vendor/pdfjs/VERSION), with page navigation and zoom. Before the number is issued
// it also shows, on page 1 of the main file, the areas the issue stamp will fill:
// found in the page's text ("Số: .../...", "..., ngày ... tháng ... năm ..."), or
// dragged by the clerk, and saved with the document (POST .../placement). Before
// the signature it shows, on the last page, where the signer's signature goes: the
// signer's block (position line, blank, name) found in the text, or dragged.
import * as pdfjs from "/static/vendor/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/pdf.worker.min.mjs";

const $ = (id) => document.getElementById(id);
const canvas = $("viewer-canvas");
const stage = $("viewer-stage");
const status = $("viewer-status");
const fileSelect = $("viewer-file");
const placementForm = $("placement-form");
const signatureForm = $("signature-form");

const zoomSteps = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
let doc = null;
let pageNumber = 1;
let scale = null; // null: fit the page to the frame's width
let viewport = null;
let renderTask = null;

async function open(url) {
  status.textContent = "Đang tải văn bản…";
  try {
    doc = await pdfjs.getDocument({ url, isEvalSupported: false }).promise;
  } catch (err) {
    status.textContent = "Không hiển thị được tệp này: " + err.message;
    return;
  }
  pageNumber = 1;
  $("viewer-pages").textContent = doc.numPages;
  await render();
  if (fileSelect.selectedIndex === 0 && mode && !placement) {
    await placeAreas();
  }
}

async function render() {
  const page = await doc.getPage(pageNumber);
  const width = page.getViewport({ scale: 1 }).width;
  const s = scale ?? Math.max(0.3, (stage.clientWidth - 4) / width);
  viewport = page.getViewport({ scale: s });
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = Math.floor(viewport.width) + "px";
  canvas.style.height = Math.floor(viewport.height) + "px";
  renderTask?.cancel();
  const context = canvas.getContext("2d");
  renderTask = page.render({ canvas, canvasContext: context, viewport, transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0] });
  try {
    await renderTask.promise;
  } catch (err) {
    if (err?.name === "RenderingCancelledException") return;
    throw err;
  }
  $("viewer-page").textContent = pageNumber;
  $("viewer-scale").textContent = Math.round(s * 100) + "%";
  status.textContent = `Trang ${pageNumber} / ${doc.numPages}`;
  canvas.dataset.rendered = `${fileSelect.value}#${pageNumber}`;
  drawBoxes();
}

function go(delta) {
  const next = pageNumber + delta;
  if (!doc || next < 1 || next > doc.numPages) return;
  pageNumber = next;
  render();
}

function zoom(direction) {
  const current = viewport ? viewport.scale : 1;
  if (direction === 0) {
    scale = null;
  } else if (direction > 0) {
    scale = zoomSteps.find((z) => z > current + 0.01) ?? zoomSteps.at(-1);
  } else {
    scale = [...zoomSteps].reverse().find((z) => z < current - 0.01) ?? zoomSteps[0];
  }
  render();
}

const actions = { prev: () => go(-1), next: () => go(1), "zoom-in": () => zoom(1), "zoom-out": () => zoom(-1), fit: () => zoom(0) };
document.querySelectorAll("[data-viewer]").forEach((b) => b.addEventListener("click", () => actions[b.dataset.viewer]()));
fileSelect.addEventListener("change", () => open(fileSelect.value));
document.getElementById("viewer").addEventListener("keydown", (e) => {
  if (e.target.closest(".stamp-box, select, input, textarea")) return;
  if (e.key === "PageDown" || e.key === "ArrowRight") { go(1); e.preventDefault(); }
  if (e.key === "PageUp" || e.key === "ArrowLeft") { go(-1); e.preventDefault(); }
});
let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (doc && scale === null) render(); }, 200);
});

// Placement of the number and the date (the clerk), or of the signature (the signer).

const labels = { number: "Số", date: "Ngày", signature: "Chữ ký" };
const modes = {
  clerk: {
    form: placementForm, status: "placement-status", value: "placement-value", keys: ["number", "date"], sourceKey: "source",
    step: "issue", failed: "Không lưu được vị trí ghi số, ngày; hãy thử lại.", changed: "Vị trí đã thay đổi; hãy lưu trước khi cấp số.",
  },
  signer: {
    form: signatureForm, status: "signature-status", value: "signature-value", keys: ["signature"], sourceKey: "signature_source",
    step: "sign", failed: "Không lưu được vị trí chữ ký; hãy thử lại.", changed: "Vị trí chữ ký đã thay đổi; hãy lưu trước khi ký số.",
  },
};
const mode = placementForm ? modes.clerk : signatureForm ? modes.signer : null;
let placement = null; // {number, date, source, signature, signature_source} in PDF points
let saved = false;

const say = (text) => { $(mode.status).textContent = text; };

// pageOf is the page an area sits on: the number and date on page 1, the signature
// on its page or the last one.
function pageOf(key) {
  return key === "signature" ? placement.signature.page || doc.numPages : 1;
}

function onPlacementPage(key) {
  return fileSelect.selectedIndex === 0 && placement && pageNumber === pageOf(key);
}

async function placeAreas() {
  const stored = JSON.parse($("placement-data").textContent);
  const form = JSON.parse($("placement-form-areas").textContent);
  if (stored[mode.sourceKey]) {
    placement = stored;
    saved = true;
  } else if (mode === modes.clerk) {
    const found = findPlaceholders(await (await doc.getPage(1)).getTextContent());
    placement = { number: found.number ?? form.number, date: found.date ?? form.date, source: found.number && found.date ? "text" : "manual" };
    if (found.number && found.date) {
      say("Đã tìm thấy chỗ ghi số và ngày trong văn bản (khung vàng); kiểm tra rồi lưu.");
    } else {
      say("Không tìm thấy đủ chỗ ghi số, ngày trong văn bản; hãy kéo khung «Số» và «Ngày» đến chỗ cần ghi rồi lưu.");
    }
  } else {
    const last = doc.numPages;
    const found = findSignerBlock(await (await doc.getPage(last)).getTextContent(), JSON.parse($("placement-signer").textContent));
    placement = { signature: { ...(found ?? form.signature), page: last }, signature_source: found ? "text" : "manual" };
    say(found ? "Đã tìm thấy khối chữ ký trong văn bản (khung vàng, trang cuối); kiểm tra rồi lưu."
      : "Không tìm thấy khối chữ ký trong văn bản; hãy kéo khung «Chữ ký» đến chỗ ký rồi lưu.");
  }
  if (mode === modes.signer && pageNumber !== pageOf("signature")) {
    pageNumber = pageOf("signature");
    await render();
  }
  drawBoxes();
}

// textLines are the page's text lines by baseline, split into segments at wide gaps
// (the header's two columns, the signer's block in the right half), top to bottom.
function textLines(content) {
  const items = content.items.filter((i) => i.str && i.str.trim()).map((i) => ({
    x: i.transform[4], y: i.transform[5], w: i.width, size: Math.hypot(i.transform[2], i.transform[3]) || i.height, s: i.str.normalize("NFC"),
  }));
  items.sort((a, b) => (Math.abs(a.y - b.y) > a.size * 0.3 ? b.y - a.y : a.x - b.x));
  const segments = [];
  for (const it of items) {
    const seg = segments.at(-1);
    const last = seg?.at(-1);
    if (last && Math.abs(last.y - it.y) <= it.size * 0.3 && it.x - (last.x + last.w) <= it.size * 2) {
      seg.push(it);
    } else {
      segments.push([it]);
    }
  }
  return segments.map((seg) => ({ seg, text: seg.map((i) => i.s).join(" ").replace(/\s+/g, " ").trim() }));
}

// findPlaceholders looks for the number and date placeholders in the page's text.
function findPlaceholders(content) {
  const found = {};
  for (const { seg, text } of textLines(content)) {
    if (!found.number && /^Số\s*:?[^0-9]*$/u.test(text)) found.number = areaOf(seg);
    else if (!found.date && /ngày[^0-9]*tháng[^0-9]*năm/u.test(text)) found.date = areaOf(seg);
  }
  return found;
}

function areaOf(seg) {
  const first = seg[0];
  const last = seg.at(-1);
  const size = Math.round(first.size * 10) / 10;
  return { llx: first.x - 1, lly: first.y - 0.3 * size, urx: last.x + last.w + 1, ury: first.y + 0.9 * size, size };
}

// The signer's position line ("CHỦ TỊCH", "KT. CHỦ TỊCH", "PHÓ GIÁM ĐỐC"…) and the
// authority line above it ("TM. ỦY BAN NHÂN DÂN").
const positionLine = /^(?:(?:TM|KT|Q|TL|TUQ)\.\s*)?(?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|TRƯỞNG [\p{Lu} ]+|CHÁNH VĂN PHÒNG|BÍ THƯ)$/u;
const authorityLine = /^(?:TM|KT|Q|TL|TUQ)\.\s/u;
const blockHeight = 156; // points: the form's signature area, 55 mm

// findSignerBlock finds the signer's block on the page: from its position line (and
// the authority line above) down to the signer's name, or the form's height below
// the position when no name follows; null when the page has no such block.
function findSignerBlock(content, signer) {
  const lines = textLines(content).map((l) => ({ ...l, area: areaOf(l.seg) }));
  const name = signer.normalize("NFC").toLocaleUpperCase("vi");
  const isName = (l) => name && l.text.toLocaleUpperCase("vi") === name;
  const position = lines.findLastIndex((l) => positionLine.test(l.text));
  if (position < 0) {
    const alone = lines.findLast(isName);
    return alone ? blockAround([alone.area], alone.area.lly, alone.area.lly + blockHeight) : null;
  }
  let top = position;
  while (top > 0 && authorityLine.test(lines[top - 1].text) && lines[top].area.ury - lines[top - 1].area.lly > -lines[top].area.size) top--;
  const head = lines.slice(top, position + 1).map((l) => l.area);
  const ury = head[0].ury;
  const below = lines.slice(position + 1).find((l) => isName(l) && overlaps(l.area, head.at(-1)));
  const lly = below ? below.area.lly - 4 : ury - blockHeight;
  return blockAround(below ? [...head, below.area] : head, lly, ury);
}

function overlaps(a, b) {
  return a.llx < b.urx && b.llx < a.urx;
}

// blockAround is the block over the given lines, at least the form's width, centred on them.
function blockAround(areas, lly, ury) {
  const left = Math.min(...areas.map((a) => a.llx));
  const right = Math.max(...areas.map((a) => a.urx));
  const width = Math.max(right - left + 8, 227);
  const centre = (left + right) / 2;
  const llx = Math.max(0, centre - width / 2);
  return { llx, lly: Math.max(0, lly), urx: llx + width, ury };
}

function drawBoxes() {
  const layer = $("viewer-boxes");
  layer.replaceChildren();
  if (!mode || !viewport) return;
  for (const key of mode.keys.filter(onPlacementPage)) {
    const a = placement[key];
    const [x1, y1] = viewport.convertToViewportPoint(a.llx, a.lly);
    const [x2, y2] = viewport.convertToViewportPoint(a.urx, a.ury);
    const box = document.createElement("div");
    box.className = "stamp-box";
    box.tabIndex = 0;
    box.dataset.area = key;
    box.setAttribute("role", "button");
    box.setAttribute("aria-label", `Khung ${key === "signature" ? "chữ ký" : "ghi " + labels[key].toLowerCase()}: kéo, hoặc dùng phím mũi tên để di chuyển`);
    box.textContent = labels[key];
    Object.assign(box.style, { left: Math.min(x1, x2) + "px", top: Math.min(y1, y2) + "px", width: Math.abs(x2 - x1) + "px", height: Math.abs(y2 - y1) + "px" });
    makeDraggable(box, key);
    layer.append(box);
  }
}

// moveArea shifts an area by (dx, dy) pixels of the view.
function moveArea(key, dx, dy) {
  const a = placement[key];
  const [px, py] = viewport.convertToPdfPoint(0, 0);
  const [qx, qy] = viewport.convertToPdfPoint(dx, dy);
  const mx = qx - px;
  const my = qy - py;
  placement[key] = { ...a, llx: a.llx + mx, urx: a.urx + mx, lly: a.lly + my, ury: a.ury + my };
  placement[mode.sourceKey] = "manual";
  saved = false;
  say(mode.changed);
}

function makeDraggable(box, key) {
  box.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    box.setPointerCapture(e.pointerId);
    let lastX = e.clientX;
    let lastY = e.clientY;
    const move = (ev) => {
      moveArea(key, ev.clientX - lastX, ev.clientY - lastY);
      box.style.left = parseFloat(box.style.left) + ev.clientX - lastX + "px";
      box.style.top = parseFloat(box.style.top) + ev.clientY - lastY + "px";
      lastX = ev.clientX;
      lastY = ev.clientY;
    };
    const up = () => {
      box.removeEventListener("pointermove", move);
      box.removeEventListener("pointerup", up);
      drawBoxes();
    };
    box.addEventListener("pointermove", move);
    box.addEventListener("pointerup", up);
  });
  box.addEventListener("keydown", (e) => {
    const steps = { ArrowLeft: [-2, 0], ArrowRight: [2, 0], ArrowUp: [0, -2], ArrowDown: [0, 2] };
    const step = steps[e.key];
    if (!step) return;
    e.preventDefault();
    moveArea(key, step[0], step[1]);
    drawBoxes();
    document.querySelector(`.stamp-box[data-area="${key}"]`)?.focus();
  });
}

// placementBody is the form with what this person places: the number and date, or
// the signature.
function placementBody() {
  const part = { [mode.sourceKey]: placement[mode.sourceKey] };
  for (const key of mode.keys) part[key] = placement[key];
  $(mode.value).value = JSON.stringify(part);
  return new URLSearchParams(new FormData(mode.form));
}

if (mode) {
  mode.form.addEventListener("submit", (e) => {
    if (!placement) { e.preventDefault(); return; }
    placementBody();
  });
  // Taking the step without saving first saves what the person sees, so that the
  // stamp or the signature goes where it was shown rather than at the form's place.
  const stepForm = document.querySelector(`form[action$="/outgoing/${mode.step}"]`);
  stepForm?.addEventListener("submit", async (e) => {
    if (saved || !placement) return;
    e.preventDefault();
    const response = await fetch(mode.form.action, { method: "POST", body: placementBody(), credentials: "same-origin" });
    if (response.ok) {
      saved = true;
      stepForm.submit();
    } else {
      say(mode.failed);
    }
  });
}

open(fileSelect.value);
