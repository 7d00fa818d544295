// Bounding boxes, the viewport: zoom (buttons, keys, Ctrl+wheel around the pointer), fit, pan (Space+drag, the
// middle button, the scroll bars) and the pointer's position in IMAGE pixels. The image is shown at W*zoom x
// H*zoom CSS pixels inside a scrolling stage; Annotorious reads the image's size, so its geometry stays in image
// pixels whatever the zoom.
(function () {
  "use strict";
  const FT = (window.FT = window.FT || {});

  // opts: section, stage, img, width, height, zoomOut (output), pointerOut, onZoom(z), setDrawing(enabled),
  // canPan(target) (Space pans only when the key is not meant for a field or button).
  FT.bboxViewport = function (opts) {
    const section = opts.section, stage = opts.stage, img = opts.img, W = opts.width, H = opts.height;
    let zoom = 1;

    // The whole image in view without scroll bars: the stage is at most 70% of the window high (kinds.css), less
    // its border. While the page is not laid out (hidden, or a screenshot resizing the window) there is nothing
    // to fit: keep the zoom as it is rather than computing a zero or negative one.
    function fitZoom() {
      const maxH = Math.max(240, window.innerHeight * 0.7) - 4, maxW = section.clientWidth - 4;
      if (!(maxW > 0) || !(W > 0) || !(H > 0)) return zoom;
      return Math.min(2, maxW / W, maxH / H);
    }

    // anchor: a point in the window ({x, y}) that stays over the same image pixel; the stage's centre otherwise.
    function setZoom(z, anchor) {
      z = Math.min(8, Math.max(Math.min(0.1, fitZoom()), z));
      if (!(z > 0)) return;
      const rect = stage.getBoundingClientRect();
      const ax = anchor ? anchor.x - rect.left : stage.clientWidth / 2, ay = anchor ? anchor.y - rect.top : stage.clientHeight / 2;
      const ix = (stage.scrollLeft + ax) / zoom, iy = (stage.scrollTop + ay) / zoom;  // image point kept in place
      zoom = z;
      img.style.width = W * z + "px";
      img.style.height = H * z + "px";
      stage.scrollLeft = ix * z - ax;
      stage.scrollTop = iy * z - ay;
      opts.zoomOut.textContent = Math.round(z * 100) + "%";
      section.dataset.zoom = String(z);
      opts.onZoom(z);
    }

    function fit() {
      setZoom(fitZoom());
      stage.scrollLeft = 0;
      stage.scrollTop = 0;
    }

    // The image pixel at the middle of what is in view (where a box added with N goes).
    function centre() {
      return { x: (stage.scrollLeft + stage.clientWidth / 2) / zoom, y: (stage.scrollTop + stage.clientHeight / 2) / zoom };
    }

    // Pan: hold Space and drag, or drag with the middle button (the scroll bars and the wheel work too).
    let panning = null, spaceDown = false;
    window.addEventListener("keydown", function (e) {
      if (e.key === " " && opts.canPan(e.target)) {
        e.preventDefault();
        if (!spaceDown) { spaceDown = true; stage.classList.add("panning"); opts.setDrawing(false); }
      }
    });
    window.addEventListener("keyup", function (e) {
      if (e.key === " " && spaceDown) { spaceDown = false; stage.classList.remove("panning"); opts.setDrawing(true); }
    });
    stage.addEventListener("pointerdown", function (e) {
      if (!spaceDown && e.button !== 1) return;
      e.preventDefault(); e.stopPropagation();
      panning = { x: e.clientX, y: e.clientY, left: stage.scrollLeft, top: stage.scrollTop };
      stage.setPointerCapture(e.pointerId);
    }, true);
    stage.addEventListener("pointermove", function (e) {
      if (panning) {
        e.stopPropagation();
        stage.scrollLeft = panning.left - (e.clientX - panning.x);
        stage.scrollTop = panning.top - (e.clientY - panning.y);
        return;
      }
      const r = img.getBoundingClientRect();
      const x = Math.floor((e.clientX - r.left) / zoom), y = Math.floor((e.clientY - r.top) / zoom);
      opts.pointerOut.textContent = x >= 0 && y >= 0 && x < W && y < H ? "Pointer: x " + x + ", y " + y : "";
    }, true);
    stage.addEventListener("pointerup", function (e) { if (panning) { panning = null; e.stopPropagation(); } }, true);
    // Ctrl + wheel zooms around the pointer.
    stage.addEventListener("wheel", function (e) {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      setZoom(zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15), { x: e.clientX, y: e.clientY });
    }, { passive: false });
    window.addEventListener("resize", function () { if (zoom > fitZoom()) fit(); });

    return {
      zoom: function () { return zoom; }, setZoom: setZoom, fit: fit, centre: centre,
      zoomIn: function () { setZoom(zoom * 1.25); }, zoomOut: function () { setZoom(zoom / 1.25); },
    };
  };
})();
