//! Decoding into 8-bit RGB or RGBA, with JPEG's DCT-domain downscaling
//! ("shrink-on-load"): a JPEG bound for a much smaller width is decoded at
//! `n/8` of its size, which is most of libvips's speed.

use crate::error::{guarded, ImageError, Result};
use crate::format::InputFormat;
use crate::icc;
use crate::orient::{exif_orientation, Orientation};

/// Decoded pixels: rows of RGB (3 bytes) or RGBA (4 bytes), tightly packed; or,
/// straight from the JPEG decoder when a resize follows, RGBX (`rgbx`).
#[derive(Debug, Clone)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Whether there is an alpha channel (RGBA) or not (RGB).
    pub alpha: bool,
    /// The samples.
    pub data: Vec<u8>,
    /// Opaque pixels stored with a fourth, ignored byte (RGBX), as the JPEG decoder
    /// writes them when a resize follows: the resizer works on 4 bytes a pixel, and
    /// widening 3 to 4 took as long as the resize. [`crate::resize::resize`] takes
    /// them and gives RGB; no other stage sees them.
    pub rgbx: bool,
}

impl Pixels {
    /// Bytes per pixel.
    pub fn channels(&self) -> usize {
        if self.alpha || self.rgbx {
            4
        } else {
            3
        }
    }
}

/// A decoded image and how it is meant to be turned (EXIF orientation).
pub struct Decoded {
    /// The pixels as stored.
    pub pixels: Pixels,
    /// The EXIF orientation to apply.
    pub orientation: Orientation,
}

/// Decodes `bytes`. For a JPEG, `target_width` (the width wanted after
/// orientation) lets the decoder skip resolution it would throw away, as
/// sharp's shrink-on-load does. `max_pixels` bounds
/// the input's size before anything is allocated.
pub fn decode(format: InputFormat, bytes: &[u8], target_width: u32, max_pixels: u64) -> Result<Decoded> {
    match format {
        InputFormat::Jpeg => decode_jpeg(bytes, target_width, max_pixels),
        InputFormat::Png => decode_png(bytes, max_pixels),
        InputFormat::Webp => decode_webp(bytes, max_pixels),
        InputFormat::Gif => decode_gif(bytes, max_pixels),
        InputFormat::Tiff => crate::tiff_decode::decode(bytes, max_pixels),
        InputFormat::Avif => crate::avif_decode::decode(bytes, max_pixels),
    }
}

pub(crate) fn check_pixels(width: u64, height: u64, limit: u64) -> Result<()> {
    let pixels = width.saturating_mul(height);
    if width == 0 || height == 0 {
        return Err(ImageError::Invalid(format!("the input is {width}×{height}")));
    }
    if limit > 0 && pixels > limit {
        return Err(ImageError::TooManyPixels { width, height, pixels, limit });
    }
    Ok(())
}

fn decode_err(format: InputFormat) -> impl FnOnce(String) -> ImageError {
    move |message| ImageError::Decode { format: format.name(), message }
}

/// The `n` of the `n/8` scale a JPEG is decoded at, as sharp picks it with
/// `fastShrinkOnLoad` (its default, which Next keeps): the integral shrink
/// `⌊full / target⌋` rounded down to 8, 4 or 2 (the scales libjpeg-turbo
/// decodes with SIMD), the rest left to the resampling filter.
fn jpeg_scale(full: u32, target: u32) -> u8 {
    match full.checked_div(target).unwrap_or(0) {
        s if s >= 8 => 1,
        s if s >= 4 => 2,
        s if s >= 2 => 4,
        _ => 8,
    }
}

fn decode_jpeg(bytes: &[u8], target_width: u32, max_pixels: u64) -> Result<Decoded> {
    let fmt = InputFormat::Jpeg;
    guarded(decode_err(fmt), || {
        let io = |e: std::io::Error| decode_err(fmt)(e.to_string());
        let mut d = mozjpeg::Decompress::with_err(strict_error_mgr())
            .with_markers(&[mozjpeg::Marker::APP(1), mozjpeg::Marker::APP(2), mozjpeg::Marker::APP(14)])
            .from_mem(bytes)
            .map_err(io)?;
        let (w, h) = (d.width() as u32, d.height() as u32);
        check_pixels(w.into(), h.into(), max_pixels)?;
        let orientation = d
            .markers()
            .filter(|m| m.marker == mozjpeg::Marker::APP(1))
            .find_map(|m| exif_orientation(m.data))
            .unwrap_or(Orientation::Normal);
        let adobe_inverted = d.markers().any(|m| m.marker == mozjpeg::Marker::APP(14) && m.data.starts_with(b"Adobe"));
        let profile = icc::jpeg_profile(d.markers().filter(|m| m.marker == mozjpeg::Marker::APP(2)).map(|m| m.data));
        let full = if orientation.swaps_axes() { h } else { w };
        let scale = jpeg_scale(full, target_width);
        d.scale(scale);
        // Colour pictures that will be resized come out as RGBX, the resizer's layout
        // (libjpeg's output width is the scaled width rounded up).
        let resized = target_width < (full * u32::from(scale)).div_ceil(8);
        if resized && matches!(d.color_space(), mozjpeg::ColorSpace::JCS_YCbCr | mozjpeg::ColorSpace::JCS_RGB) {
            let mut s = d.to_colorspace(mozjpeg::ColorSpace::JCS_EXT_RGBX).map_err(io)?;
            let mut data: Vec<u8> = s.read_scanlines().map_err(io)?;
            let (width, height) = (s.width() as u32, s.height() as u32);
            s.finish().map_err(io)?;
            if let Some(p) = &profile {
                icc::rgb_to_srgb(&mut data, true, p);
            }
            return Ok(Decoded { pixels: Pixels { rgbx: true, width, height, alpha: false, data }, orientation });
        }
        let pixels = match d.image().map_err(io)? {
            mozjpeg::Format::RGB(mut s) => {
                let mut data: Vec<u8> = s.read_scanlines().map_err(io)?;
                let (width, height) = (s.width() as u32, s.height() as u32);
                s.finish().map_err(io)?;
                if let Some(p) = &profile {
                    icc::rgb_to_srgb(&mut data, false, p);
                }
                Pixels { rgbx: false, width, height, alpha: false, data }
            }
            mozjpeg::Format::Gray(mut s) => {
                let gray: Vec<u8> = s.read_scanlines().map_err(io)?;
                let (width, height) = (s.width() as u32, s.height() as u32);
                s.finish().map_err(io)?;
                Pixels { rgbx: false, width, height, alpha: false, data: gray.iter().flat_map(|&g| [g, g, g]).collect() }
            }
            mozjpeg::Format::CMYK(mut s) => {
                let cmyk: Vec<u8> = s.read_scanlines().map_err(io)?;
                let (width, height) = (s.width() as u32, s.height() as u32);
                s.finish().map_err(io)?;
                let data = profile.as_deref().and_then(|p| icc::cmyk_to_srgb(&cmyk, adobe_inverted, p));
                Pixels { rgbx: false, width, height, alpha: false, data: data.unwrap_or_else(|| cmyk_to_rgb(&cmyk, adobe_inverted)) }
            }
        };
        Ok(Decoded { pixels, orientation })
    })
}

/// libjpeg's error manager, failing on warnings as sharp does by default
/// (`failOn: "warning"`): a truncated or corrupt JPEG is an error, so Next
/// serves the original, instead of a picture padded with grey.
fn strict_error_mgr() -> mozjpeg_sys::jpeg_error_mgr {
    use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr, jpeg_std_error};
    use std::os::raw::c_int;

    fn code(cinfo: &jpeg_common_struct) -> c_int {
        // SAFETY: libjpeg calls back with its own struct, whose `err` is this manager.
        unsafe { cinfo.err.as_ref().map_or(0, |e| e.msg_code) }
    }
    extern "C-unwind" fn on_error(cinfo: &mut jpeg_common_struct) {
        std::panic::resume_unwind(Box::new(format!("corrupt JPEG data (libjpeg error {})", code(cinfo))));
    }
    extern "C-unwind" fn on_message(cinfo: &mut jpeg_common_struct, level: c_int) {
        if level < 0 {
            std::panic::resume_unwind(Box::new(format!("corrupt or truncated JPEG data (libjpeg warning {})", code(cinfo))));
        }
    }
    // SAFETY: a zeroed manager is what `jpeg_std_error` expects to fill in.
    unsafe {
        let mut err: jpeg_error_mgr = std::mem::zeroed();
        jpeg_std_error(&mut err);
        err.error_exit = Some(on_error);
        err.emit_message = Some(on_message);
        err
    }
}

/// CMYK to RGB without a colour profile (Adobe's files store the inks inverted),
/// as browsers show such files.
pub(crate) fn cmyk_to_rgb(cmyk: &[u8], inverted: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(cmyk.len() / 4 * 3);
    for p in cmyk.chunks_exact(4) {
        let (c, m, y, k) = if inverted { (p[0], p[1], p[2], p[3]) } else { (255 - p[0], 255 - p[1], 255 - p[2], 255 - p[3]) };
        let k = u16::from(k);
        out.extend([c, m, y].map(|v| ((u16::from(v) * k + 127) / 255) as u8));
    }
    out
}

fn decode_png(bytes: &[u8], max_pixels: u64) -> Result<Decoded> {
    let err = |e: png::DecodingError| decode_err(InputFormat::Png)(e.to_string());
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    // 16-bit and palette images come out as 8-bit RGB(A) or gray.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(err)?;
    let (w, h) = (reader.info().width, reader.info().height);
    check_pixels(w.into(), h.into(), max_pixels)?;
    let profile = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let size = reader.output_buffer_size().ok_or_else(|| decode_err(InputFormat::Png)("the image is too large to hold".into()))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(err)?;
    buf.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    let mut pixels = match frame.color_type {
        png::ColorType::Rgb => Pixels { rgbx: false, width, height, alpha: false, data: buf },
        png::ColorType::Rgba => Pixels { rgbx: false, width, height, alpha: true, data: buf },
        png::ColorType::Grayscale => {
            Pixels { rgbx: false, width, height, alpha: false, data: buf.iter().flat_map(|&g| [g, g, g]).collect() }
        }
        png::ColorType::GrayscaleAlpha => {
            Pixels { rgbx: false, width, height, alpha: true, data: buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect() }
        }
        png::ColorType::Indexed => return Err(decode_err(InputFormat::Png)("an indexed image was not expanded".into())),
    };
    if let Some(p) = &profile {
        icc::rgb_to_srgb(&mut pixels.data, pixels.alpha, p);
    }
    Ok(Decoded { pixels, orientation: Orientation::Normal })
}

fn decode_gif(bytes: &[u8], max_pixels: u64) -> Result<Decoded> {
    let err = |e: gif::DecodingError| decode_err(InputFormat::Gif)(e.to_string());
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(bytes).map_err(err)?;
    let (w, h) = (u32::from(decoder.width()), u32::from(decoder.height()));
    check_pixels(w.into(), h.into(), max_pixels)?;
    let frame = decoder.read_next_frame().map_err(err)?.ok_or_else(|| decode_err(InputFormat::Gif)("no image in the file".into()))?;
    // The first frame, placed on a transparent canvas of the logical screen's size.
    let mut data = vec![0u8; w as usize * h as usize * 4];
    let (fw, fh, fl, ft) = (frame.width as usize, frame.height as usize, frame.left as usize, frame.top as usize);
    for row in 0..fh {
        let y = ft + row;
        if y >= h as usize {
            break;
        }
        for col in 0..fw {
            let x = fl + col;
            if x >= w as usize {
                break;
            }
            let src = (row * fw + col) * 4;
            let dst = (y * w as usize + x) * 4;
            data[dst..dst + 4].copy_from_slice(&frame.buffer[src..src + 4]);
        }
    }
    Ok(Decoded { pixels: Pixels { rgbx: false, width: w, height: h, alpha: true, data }, orientation: Orientation::Normal })
}

fn decode_webp(bytes: &[u8], max_pixels: u64) -> Result<Decoded> {
    let fail = || decode_err(InputFormat::Webp)("libwebp refused the data".into());
    // SAFETY: libwebp reads `bytes` within the given length and writes the
    // features struct we own; the decoded buffer is copied and freed below.
    unsafe {
        let mut features = std::mem::zeroed::<libwebp_sys::WebPBitstreamFeatures>();
        if libwebp_sys::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &mut features) != libwebp_sys::VP8StatusCode::VP8_STATUS_OK {
            return Err(fail());
        }
        check_pixels(features.width as u64, features.height as u64, max_pixels)?;
        let alpha = features.has_alpha != 0;
        let (mut w, mut h) = (0, 0);
        let ptr = if alpha {
            libwebp_sys::WebPDecodeRGBA(bytes.as_ptr(), bytes.len(), &mut w, &mut h)
        } else {
            libwebp_sys::WebPDecodeRGB(bytes.as_ptr(), bytes.len(), &mut w, &mut h)
        };
        if ptr.is_null() {
            return Err(fail());
        }
        let len = w as usize * h as usize * if alpha { 4 } else { 3 };
        let mut data = std::slice::from_raw_parts(ptr, len).to_vec();
        libwebp_sys::WebPFree(ptr.cast());
        if let Some(p) = icc::webp_profile(bytes) {
            icc::rgb_to_srgb(&mut data, alpha, p);
        }
        Ok(Decoded { pixels: Pixels { rgbx: false, width: w as u32, height: h as u32, alpha, data }, orientation: Orientation::Normal })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_scale_is_sharps_shrink_on_load() {
        assert_eq!(jpeg_scale(1920, 640), 4, "shrink 3: decoded at 1/2");
        assert_eq!(jpeg_scale(2725, 720), 4, "shrink 3.78 → 3: 1/2");
        assert_eq!(jpeg_scale(1920, 1080), 8, "shrink 1: full size");
        assert_eq!(jpeg_scale(4000, 256), 1, "shrink 15: 1/8");
        assert_eq!(jpeg_scale(2048, 512), 2, "shrink 4: 1/4");
        assert_eq!(jpeg_scale(100, 0), 8);
    }

    #[test]
    fn a_jpeg_to_be_resized_comes_out_as_rgbx_with_the_same_colours() {
        let p = crate::tests::gradient(64, 48, false);
        let jpeg = crate::encode::encode(&p, crate::OutputFormat::Jpeg, 90, true).unwrap();
        let rgb = decode(InputFormat::Jpeg, &jpeg, 64, crate::DEFAULT_MAX_INPUT_PIXELS).unwrap().pixels;
        assert!(!rgb.rgbx && rgb.data.len() == 64 * 48 * 3, "no resize follows: RGB");
        let rgbx = decode(InputFormat::Jpeg, &jpeg, 63, crate::DEFAULT_MAX_INPUT_PIXELS).unwrap().pixels;
        assert!(rgbx.rgbx && !rgbx.alpha && rgbx.data.len() == 64 * 48 * 4, "a resize follows: RGBX");
        let narrowed: Vec<u8> = rgbx.data.chunks_exact(4).flat_map(|c| [c[0], c[1], c[2]]).collect();
        assert_eq!(narrowed, rgb.data);
        // The same with DCT-domain downscaling (decoded at 1/2 either way).
        let p = crate::tests::gradient(256, 192, false);
        let jpeg = crate::encode::encode(&p, crate::OutputFormat::Jpeg, 80, true).unwrap();
        let rgb = decode(InputFormat::Jpeg, &jpeg, 128, crate::DEFAULT_MAX_INPUT_PIXELS).unwrap().pixels;
        let rgbx = decode(InputFormat::Jpeg, &jpeg, 100, crate::DEFAULT_MAX_INPUT_PIXELS).unwrap().pixels;
        assert!(!rgb.rgbx && rgbx.rgbx && (rgb.width, rgbx.width) == (128, 128));
        let narrowed: Vec<u8> = rgbx.data.chunks_exact(4).flat_map(|c| [c[0], c[1], c[2]]).collect();
        assert_eq!(narrowed, rgb.data);
    }

    #[test]
    fn too_many_pixels_is_refused_before_decoding() {
        let e = check_pixels(20_000, 20_000, 268_402_689).unwrap_err();
        assert!(e.to_string().contains("400000000 pixels"), "{e}");
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        for (f, b) in [
            (InputFormat::Jpeg, &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 1, 2][..]),
            (InputFormat::Png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            (InputFormat::Webp, b"RIFF\x10\0\0\0WEBPVP8 \x04\0\0\0"),
            (InputFormat::Gif, b"GIF89a\x01"),
        ] {
            assert!(matches!(decode(f, b, 100, 0), Err(ImageError::Decode { .. } | ImageError::Invalid(_))), "{f:?}");
        }
    }
}
