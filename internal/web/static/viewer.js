// The document viewer: draws a PDF of the document with pdf.js (vendored, see
// vendor/pdfjs/VERSION), with page navigation and zoom. Before the number is issued
// it also shows, on page 1 of the main file, the areas the issue stamp will fill:
// found in the page's text ("Số: .../...", "..., ngày ... tháng ... năm ..."), or
// dragged by the clerk, and saved with the document (POST .../placement).
import * as pdfjs from "/static/vendor/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/vendor/pdfjs/pdf.worker.min.mjs";

const $ = (id) => document.getElementById(id);
const canvas = $("viewer-canvas");
const stage = $("viewer-stage");
const status = $("viewer-status");
const fileSelect = $("viewer-file");
const placementForm = $("placement-form");

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
  if (placementForm && onPlacementPage()) {
    await placeAreas(await doc.getPage(1));
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

// Placement of the number and the date.

const labels = { number: "Số", date: "Ngày" };
let placement = null; // {number, date, source} in PDF points
let saved = false;

function onPlacementPage() {
  return fileSelect.selectedIndex === 0 && pageNumber === 1;
}

async function placeAreas(page) {
  const stored = JSON.parse($("placement-data").textContent);
  const say = (text) => { $("placement-status").textContent = text; };
  if (stored.source) {
    placement = stored;
    saved = true;
  } else {
    const found = findPlaceholders(await page.getTextContent());
    const form = JSON.parse($("placement-form-areas").textContent);
    placement = { number: found.number ?? form.number, date: found.date ?? form.date, source: found.number && found.date ? "text" : "manual" };
    if (found.number && found.date) {
      say("Đã tìm thấy chỗ ghi số và ngày trong văn bản (khung vàng); kiểm tra rồi lưu.");
    } else {
      say("Không tìm thấy đủ chỗ ghi số, ngày trong văn bản; hãy kéo khung «Số» và «Ngày» đến chỗ cần ghi rồi lưu.");
    }
  }
  drawBoxes();
}

// findPlaceholders looks for the number and date placeholders in the page's text:
// lines by baseline, split into segments at wide gaps (the header's two columns).
function findPlaceholders(content) {
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
  const found = {};
  for (const seg of segments) {
    const text = seg.map((i) => i.s).join(" ").replace(/\s+/g, " ").trim();
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

function drawBoxes() {
  const layer = $("viewer-boxes");
  layer.replaceChildren();
  if (!placement || !viewport || !onPlacementPage()) return;
  for (const key of ["number", "date"]) {
    const a = placement[key];
    const [x1, y1] = viewport.convertToViewportPoint(a.llx, a.lly);
    const [x2, y2] = viewport.convertToViewportPoint(a.urx, a.ury);
    const box = document.createElement("div");
    box.className = "stamp-box";
    box.tabIndex = 0;
    box.dataset.area = key;
    box.setAttribute("role", "button");
    box.setAttribute("aria-label", `Khung ghi ${labels[key].toLowerCase()}: kéo, hoặc dùng phím mũi tên để di chuyển`);
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
  placement.source = "manual";
  saved = false;
  $("placement-status").textContent = "Vị trí đã thay đổi; hãy lưu trước khi cấp số.";
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

function placementBody() {
  $("placement-value").value = JSON.stringify(placement);
  return new URLSearchParams(new FormData(placementForm));
}

if (placementForm) {
  placementForm.addEventListener("submit", (e) => {
    if (!placement) { e.preventDefault(); return; }
    placementBody();
  });
  // Issuing without saving first saves what the clerk sees, so that the stamp fills
  // the areas shown rather than the form's.
  const issueForm = document.querySelector('form[action$="/outgoing/issue"]');
  issueForm?.addEventListener("submit", async (e) => {
    if (saved || !placement) return;
    e.preventDefault();
    const response = await fetch(placementForm.action, { method: "POST", body: placementBody(), credentials: "same-origin" });
    if (response.ok) {
      saved = true;
      issueForm.submit();
    } else {
      $("placement-status").textContent = "Không lưu được vị trí ghi số, ngày; hãy thử lại.";
    }
  });
}

open(fileSelect.value);
