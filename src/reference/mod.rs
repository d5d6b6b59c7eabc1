//! Float reference (placeholder).
