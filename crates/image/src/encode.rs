//! Encoding as Next asks sharp to: `jpeg({ quality, mozjpeg: true })` (mozjpeg's
//! defaults: progressive, trellis quantisation, optimised scans, 4:2:0; or
//! libjpeg's baseline when Next's `imgOptMozjpeg` is false),
//! `webp({ quality })` (libwebp lossy, method 4, alpha lossless), and
//! `png({ quality })`, which in sharp means a palette: up to 256 colours chosen
//! by quantizr, dithered, at the smallest bit depth that holds them. AVIF is
//! in [`crate::avif`].

use crate::decode::Pixels;
use crate::error::{guarded, ImageError, Result};
use crate::format::OutputFormat;

/// `p` in `format` at `quality` (1–100). `mozjpeg` picks the JPEG settings:
/// mozjpeg's (sharp's `mozjpeg: true`, what Next asks for), or else libjpeg's
/// baseline defaults with optimised Huffman tables (sharp's plain `jpeg()`,
/// Next's `experimental.imgOptMozjpeg: false`).
pub fn encode(p: &Pixels, format: OutputFormat, quality: u8, mozjpeg: bool) -> Result<Vec<u8>> {
    match format {
        OutputFormat::Jpeg => jpeg(p, quality, mozjpeg),
        OutputFormat::Webp => webp(p, quality),
        OutputFormat::Png => png_palette(p, quality).or_else(|_| png(p)),
        OutputFormat::Avif => crate::avif::encode(p, quality),
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

fn jpeg(p: &Pixels, quality: u8, mozjpeg: bool) -> Result<Vec<u8>> {
    let fail = |message: String| ImageError::Encode { format: "JPEG", message };
    guarded(fail, || {
        let data = rgb(p);
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        if !mozjpeg {
            // What libvips does before applying sharp's options: libjpeg's profile
            // (baseline, no trellis, standard tables), then sharp's `optimiseCoding`.
            c.set_fastest_defaults();
            c.set_optimize_coding(true);
        }
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

/// The largest mean squared error (over RGBA, in 0–255 units) a palette may
/// leave at `quality`: libimagequant's mapping of quality to error, which sharp's
/// `png({ quality })` uses to pick the fewest colours that reach the quality.
fn max_error_for(quality: u8) -> f32 {
    if quality >= 100 {
        return 0.0;
    }
    let q = f64::from(quality);
    let fudge = (0.016 / (0.001 + q) - 0.001).max(0.0);
    let mse = 0.45 * (fudge + 2.5 / (210.0 + q).powf(1.2) * (100.1 - q) / 100.0);
    // libimagequant measures in 0–1 units with its own channel weights; halving the
    // 0–255 equivalent gives palettes of about sharp's size (measured on photos,
    // flat art and translucent shapes against sharp 0.35).
    (mse * 255.0 * 255.0 / 2.0) as f32
}

/// The image as an indexed PNG: the fewest colours (2, 4, … 256) whose error
/// is within `quality`'s, with a `tRNS` chunk when some are translucent, dithered.
fn png_palette(p: &Pixels, quality: u8) -> Result<Vec<u8>> {
    let fail = |message: String| ImageError::Encode { format: "PNG", message };
    let rgba: std::borrow::Cow<'_, [u8]> = if p.alpha {
        std::borrow::Cow::Borrowed(&p.data)
    } else {
        std::borrow::Cow::Owned(p.data.chunks_exact(3).flat_map(|c| [c[0], c[1], c[2], 255]).collect())
    };
    let (w, h) = (p.width as usize, p.height as usize);
    let image = quantizr::Image::new(&rgba, w, h).map_err(|e| fail(format!("{e:?}")))?;
    let mut histogram = quantizr::Histogram::new();
    histogram.add_image(&image);
    let target = max_error_for(quality);
    let mut result = None;
    for colors in [2, 4, 8, 16, 32, 64, 128, 256] {
        let mut options = quantizr::Options::default();
        options.set_max_colors(colors).map_err(|e| fail(format!("{e:?}")))?;
        let r = quantizr::QuantizeResult::quantize_histogram(&histogram, &options);
        let done = r.get_error() <= target || colors == 256;
        result = Some(r);
        if done {
            break;
        }
    }
    let mut result = result.ok_or_else(|| fail("no palette".into()))?;
    result.set_dithering_level(1.0).map_err(|e| fail(format!("{e:?}")))?;
    let mut indices = vec![0u8; w * h];
    result.remap_image(&image, &mut indices).map_err(|e| fail(format!("{e:?}")))?;
    let palette = result.get_palette();
    let colors = &palette.entries[..palette.count as usize];
    let depth = match colors.len() {
        0..=2 => 1u8,
        3..=4 => 2,
        5..=16 => 4,
        _ => 8,
    };
    let per_byte = 8 / depth as usize;
    let stride = w.div_ceil(per_byte);
    let mut packed = vec![0u8; stride * h];
    for (y, row) in indices.chunks_exact(w).enumerate() {
        for (x, &i) in row.iter().enumerate() {
            let shift = 8 - depth as usize * (x % per_byte + 1);
            packed[y * stride + x / per_byte] |= i << shift;
        }
    }
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, p.width, p.height);
    e.set_color(png::ColorType::Indexed);
    e.set_depth(match depth {
        1 => png::BitDepth::One,
        2 => png::BitDepth::Two,
        4 => png::BitDepth::Four,
        _ => png::BitDepth::Eight,
    });
    e.set_palette(colors.iter().flat_map(|c| [c.r, c.g, c.b]).collect::<Vec<u8>>());
    if colors.iter().any(|c| c.a != 255) {
        let last = colors.iter().rposition(|c| c.a != 255).unwrap_or(0);
        e.set_trns(colors[..=last].iter().map(|c| c.a).collect::<Vec<u8>>());
    }
    e.set_filter(png::Filter::NoFilter);
    let mut writer = e.write_header().map_err(|e| fail(e.to_string()))?;
    writer.write_image_data(&packed).map_err(|e| fail(e.to_string()))?;
    writer.finish().map_err(|e| fail(e.to_string()))?;
    Ok(out)
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
