//! Routing plans and the live incremental cost estimator.
