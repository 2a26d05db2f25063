//! Usage and cost charts drawn as SVG with plotters.
