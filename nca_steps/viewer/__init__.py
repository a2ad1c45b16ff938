"""The live viewer: a trained NCA growing in the browser (``viewer.html`` + ``nca.js``, filled in
by the ``build_viewer`` step), and a headless Chromium to drive it from Python (``chromium``)."""
