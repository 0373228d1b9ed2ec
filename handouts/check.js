// check.js: runs in every handout page once loaded; records what a reader would see
// broken (images that did not load, links to anchors that do not exist) in the body's
// data-check attribute, which handouts/check reads through Chromium's --dump-dom.
window.addEventListener("load", function () {
  var bad = [];
  Array.prototype.forEach.call(document.images, function (img) {
    if (!img.complete || img.naturalWidth === 0) bad.push("image:" + img.getAttribute("src").slice(0, 60));
  });
  Array.prototype.forEach.call(document.querySelectorAll('a[href^="#"]'), function (a) {
    var id = decodeURIComponent(a.getAttribute("href").slice(1));
    if (id && !document.getElementById(id)) bad.push("anchor:" + id);
  });
  document.body.setAttribute("data-check", "images=" + document.images.length + " broken=" + bad.length + (bad.length ? " " + bad.join(" ") : ""));
});
