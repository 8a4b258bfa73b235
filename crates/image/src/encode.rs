//! Encoding as Next asks sharp to: `jpeg({ quality, mozjpeg: true })` (mozjpeg's
//! defaults: progressive, trellis quantisation, optimised scans, 4:2:0),
//! `webp({ quality })` (libwebp lossy, method 4, alpha lossless), and `png()`.

use crate::decode::Pixels;
use crate::error::{guarded, ImageError, Result};
use crate::format::OutputFormat;

/// `p` in `format` at `quality` (1–100).
pub fn encode(p: &Pixels, format: OutputFormat, quality: u8) -> Result<Vec<u8>> {
    match format {
        OutputFormat::Jpeg => jpeg(p, quality),
        OutputFormat::Webp => webp(p, quality),
        OutputFormat::Png => png(p),
    }
}

/// RGB with any alpha flattened onto black, as libvips saves a JPEG.
fn rgb(p: &Pixels) -> std::borrow::Cow<'_, [u8]> {
    if !p.alpha {
        return std::borrow::Cow::Borrowed(&p.data);
    }
    let flat = p
        .data
        .chunks_exact(4)
        .flat_map(|c| {
            let a = u16::from(c[3]);
            [c[0], c[1], c[2]].map(|v| ((u16::from(v) * a + 127) / 255) as u8)
        })
        .collect();
    std::borrow::Cow::Owned(flat)
}

fn jpeg(p: &Pixels, quality: u8) -> Result<Vec<u8>> {
    let fail = |message: String| ImageError::Encode { format: "JPEG", message };
    guarded(fail, || {
        let data = rgb(p);
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        c.set_size(p.width as usize, p.height as usize);
        c.set_quality(f32::from(quality));
        let mut started = c.start_compress(Vec::new()).map_err(|e| fail(e.to_string()))?;
        started.write_scanlines(&data).map_err(|e| fail(e.to_string()))?;
        started.finish().map_err(|e| fail(e.to_string()))
    })
}

fn webp(p: &Pixels, quality: u8) -> Result<Vec<u8>> {
    let stride = (p.width as usize * p.channels()) as i32;
    let mut out: *mut u8 = std::ptr::null_mut();
    // SAFETY: `p.data` holds `height` rows of `stride` bytes; libwebp allocates
    // `out`, which is copied and then freed with WebPFree.
    unsafe {
        let len = if p.alpha {
            libwebp_sys::WebPEncodeRGBA(p.data.as_ptr(), p.width as i32, p.height as i32, stride, f32::from(quality), &mut out)
        } else {
            libwebp_sys::WebPEncodeRGB(p.data.as_ptr(), p.width as i32, p.height as i32, stride, f32::from(quality), &mut out)
        };
        if len == 0 || out.is_null() {
            return Err(ImageError::Encode { format: "WebP", message: format!("libwebp could not encode {}×{}", p.width, p.height) });
        }
        let bytes = std::slice::from_raw_parts(out, len).to_vec();
        libwebp_sys::WebPFree(out.cast());
        Ok(bytes)
    }
}

fn png(p: &Pixels) -> Result<Vec<u8>> {
    let fail = |e: png::EncodingError| ImageError::Encode { format: "PNG", message: e.to_string() };
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, p.width, p.height);
    e.set_color(if p.alpha { png::ColorType::Rgba } else { png::ColorType::Rgb });
    e.set_depth(png::BitDepth::Eight);
    let mut w = e.write_header().map_err(fail)?;
    w.write_image_data(&p.data).map_err(fail)?;
    w.finish().map_err(fail)?;
    Ok(out)
}
