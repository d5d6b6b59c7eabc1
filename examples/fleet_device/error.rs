//! The tool's errors: each becomes a message on stderr and a non-zero exit status.

use std::fmt;
use std::path::PathBuf;

/// Why the tool stopped.
#[derive(Debug)]
pub enum ToolError {
    /// The arguments are wrong (exit status 2).
    Usage(String),
    /// A file could not be read or written.
    File {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// An export was refused by the library's decoder.
    Export {
        /// The file.
        path: PathBuf,
        /// The decoder's reason.
        error: tinycml::Error,
    },
    /// The library refused a computation (settings, a task, an encoding).
    Library(tinycml::Error),
}

impl ToolError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            ToolError::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::Usage(message) => write!(f, "{message}\n{}", crate::args::USAGE),
            ToolError::File { path, error } => write!(f, "{}: {error}", path.display()),
            ToolError::Export { path, error } => {
                write!(f, "{}: not a usable θ export: {error}", path.display())
            }
            ToolError::Library(error) => write!(f, "{error}"),
        }
    }
}

impl From<tinycml::Error> for ToolError {
    fn from(error: tinycml::Error) -> Self {
        ToolError::Library(error)
    }
}
