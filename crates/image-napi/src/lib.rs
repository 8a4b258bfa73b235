//! The image addon (`open-next-image.<platform>.node`): `optimizeImage`, the
//! image stage (`open_next_image`) as an async task, off the JavaScript thread.
//!
//! It ships apart from the Router's addon: the image function needs only this
//! one, and a Lambda server function (whose `/_next/image` goes to the image
//! function) only the Router's; a self-hosted server function carries both.
#![deny(clippy::all)]

use napi::bindgen_prelude::*;
use napi_derive::napi;
use open_next_image::{ImageError, OutputFormat, Transform};

/// What `optimizeImage` makes of an image (a `/_next/image` request's `w`, `q`
/// and negotiated type).
#[napi(object)]
pub struct ImageTransform {
    /// Wanted width in pixels; a narrower image keeps its own.
    pub width: u32,
    /// Quality, 1–100.
    pub quality: u32,
    /// `image/avif`, `image/webp`, `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The largest input decoded, in pixels (default sharp's 268402689; 0: no limit).
    pub max_input_pixels: Option<f64>,
    /// JPEG with mozjpeg's settings (default true, sharp's `mozjpeg: true`), or
    /// libjpeg's baseline ones (Next's `experimental.imgOptMozjpeg: false`).
    pub mozjpeg: Option<bool>,
}

/// An optimized image.
#[napi(object)]
pub struct OptimizedImage {
    /// The encoded bytes.
    pub data: Buffer,
    /// Their MIME type.
    pub content_type: String,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
}

fn image_error(e: ImageError) -> Error {
    let code = match &e {
        ImageError::Unsupported(_) => "ERR_IMAGE_UNSUPPORTED",
        ImageError::TooManyPixels { .. } => "ERR_IMAGE_TOO_LARGE",
        ImageError::Decode { .. } => "ERR_IMAGE_DECODE",
        ImageError::Encode { .. } => "ERR_IMAGE_ENCODE",
        ImageError::Invalid(_) => "ERR_IMAGE_INVALID",
    };
    Error::new(Status::GenericFailure, format!("{code}: {e}"))
}

/// Async task behind {@link optimizeImage}.
pub struct OptimizeTask {
    input: Vec<u8>,
    transform: Transform,
}

impl Task for OptimizeTask {
    type Output = open_next_image::Optimized;
    type JsValue = OptimizedImage;

    fn compute(&mut self) -> Result<Self::Output> {
        let input = std::mem::take(&mut self.input);
        open_next_image::optimize(&input, &self.transform).map_err(image_error)
    }

    fn resolve(&mut self, _env: Env, o: Self::Output) -> Result<Self::JsValue> {
        Ok(OptimizedImage { data: o.data.into(), content_type: o.format.mime().to_string(), width: o.width, height: o.height })
    }
}

/// Turns an image upright (EXIF), resizes it to `transform.width` without
/// enlarging it, and encodes it as `transform.contentType`, as Next's image
/// optimizer asks sharp to. Rejects with `ERR_IMAGE_*` naming what is wrong.
#[napi(ts_return_type = "Promise<OptimizedImage>")]
pub fn optimize_image(input: Buffer, transform: ImageTransform) -> Result<AsyncTask<OptimizeTask>> {
    let format = OutputFormat::from_mime(&transform.content_type).ok_or_else(|| {
        Error::new(
            Status::InvalidArg,
            format!("ERR_IMAGE_INVALID: contentType {:?}: use image/avif, image/webp, image/jpeg or image/png", transform.content_type),
        )
    })?;
    let quality = u8::try_from(transform.quality).ok().filter(|q| (1..=100).contains(q)).ok_or_else(|| {
        Error::new(Status::InvalidArg, format!("ERR_IMAGE_INVALID: quality {} is not an integer from 1 to 100", transform.quality))
    })?;
    let max_input_pixels = match transform.max_input_pixels {
        Some(n) if n.is_finite() && n >= 0.0 => n as u64,
        Some(n) => return Err(Error::new(Status::InvalidArg, format!("ERR_IMAGE_INVALID: maxInputPixels {n} is not a count"))),
        None => open_next_image::DEFAULT_MAX_INPUT_PIXELS,
    };
    Ok(AsyncTask::new(OptimizeTask {
        input: input.to_vec(),
        transform: Transform { width: transform.width, quality, format, max_input_pixels, mozjpeg: transform.mozjpeg.unwrap_or(true) },
    }))
}
