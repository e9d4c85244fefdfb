//! The `todobot` command line: `serve` (default), `migrate`, `mcp`, `probe`.

pub mod cli;
pub mod malloc;
