//! What can go wrong in the image stage.

/// An image that cannot be transformed. Callers answer as Next does: an input
/// that is not an image is a 400; a failed transform serves the original.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not a format this stage decodes.
    #[error("the input is not a supported image (JPEG, PNG, WebP, GIF or TIFF); its first bytes are {0}")]
    Unsupported(String),
    /// The input is larger than the pixel limit (`experimental.imgOptMaxInputPixels`).
    #[error("the input is {width}×{height} = {pixels} pixels, over the limit of {limit} (images.imgOptMaxInputPixels)")]
    TooManyPixels {
        /// Input width.
        width: u64,
        /// Input height.
        height: u64,
        /// Their product.
        pixels: u64,
        /// The limit.
        limit: u64,
    },
    /// A decoder refused the bytes (corrupt or truncated file).
    #[error("cannot decode the {format} image: {message}")]
    Decode {
        /// The input format.
        format: &'static str,
        /// The decoder's reason.
        message: String,
    },
    /// An encoder failed.
    #[error("cannot encode {format}: {message}")]
    Encode {
        /// The output format.
        format: &'static str,
        /// The encoder's reason.
        message: String,
    },
    /// A width or quality out of range.
    #[error("invalid transform: {0}")]
    Invalid(String),
}

/// Result of the image stage.
pub type Result<T> = std::result::Result<T, ImageError>;

/// Runs a call into a C codec that reports errors by unwinding (mozjpeg) and
/// turns a panic into `err(message)`, so no panic leaves the stage.
pub(crate) fn guarded<T>(err: impl FnOnce(String) -> ImageError, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the codec failed".into());
            Err(err(message))
        }
    }
}
