//! AVIF input, as sharp reads it through libheif: the primary item's AV1
//! picture, decoded by rav1d (the Rust port of dav1d, 8-, 10- and 12-bit), and
//! the alpha item's picture when there is one. YCbCr becomes RGB by the
//! sequence header's matrix coefficients and range (BT.601 when unspecified,
//! as libheif assumes); chroma is upsampled by nearest sample. The item's
//! `clap` crops the pixels, `irot`/`imir` turn them upright and a `colr` ICC
//! profile maps them to sRGB (`avif_props`), as libheif and sharp do.

use crate::decode::{check_pixels, Decoded, Pixels};
use crate::error::{guarded, ImageError, Result};
use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    Dav1dMatrixCoefficients, DAV1D_MC_BT2020_NCL, DAV1D_MC_BT470BG, DAV1D_MC_BT601, DAV1D_MC_BT709, DAV1D_MC_FCC, DAV1D_MC_IDENTITY,
    DAV1D_MC_SMPTE240, DAV1D_MC_UNKNOWN, DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422,
    DAV1D_PIXEL_LAYOUT_I444,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_unref, dav1d_default_settings, dav1d_get_picture, dav1d_open, dav1d_picture_unref,
    dav1d_send_data,
};
use std::mem::MaybeUninit;
use std::ptr::NonNull;

fn fail(message: impl Into<String>) -> ImageError {
    ImageError::Decode { format: "AVIF", message: message.into() }
}

/// An open decoder, closed on drop.
struct Decoder(Option<Dav1dContext>);

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: the context came from `dav1d_open` and is closed once, here.
        unsafe { dav1d_close(Some(NonNull::from(&mut self.0))) };
    }
}

/// Data handed to the decoder, released on drop (whatever it did not consume).
struct Data(Dav1dData);

impl Drop for Data {
    fn drop(&mut self) {
        // SAFETY: the data came from `dav1d_data_create`; unref of consumed data is a no-op.
        unsafe { dav1d_data_unref(Some(NonNull::from(&mut self.0))) };
    }
}

/// A decoded picture, released on drop.
struct Picture(Dav1dPicture);

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: the picture was written by `dav1d_get_picture` (or is empty).
        unsafe { dav1d_picture_unref(Some(NonNull::from(&mut self.0))) };
    }
}

/// One plane's samples as 16-bit values (8-bit ones widened), row after row.
struct Plane {
    width: usize,
    height: usize,
    samples: Vec<u16>,
}

/// What the colour conversion needs of a decoded picture.
struct Av1Picture {
    width: usize,
    height: usize,
    bit_depth: u32,
    /// Chroma subsampling, horizontal and vertical (4:2:0 is both).
    subsampling: (bool, bool),
    matrix: Dav1dMatrixCoefficients,
    full_range: bool,
    /// Y, then Cb and Cr unless monochrome.
    planes: Vec<Plane>,
}

/// Decodes one AV1 still picture (the OBUs of an AVIF item).
fn decode_av1(obus: &[u8], max_pixels: u64) -> Result<Av1Picture> {
    let mut settings = MaybeUninit::<Dav1dSettings>::uninit();
    // SAFETY: `dav1d_default_settings` writes every field.
    let mut settings = unsafe {
        dav1d_default_settings(NonNull::new_unchecked(settings.as_mut_ptr()));
        settings.assume_init()
    };
    // One picture, on the calling thread (as the other codecs run), within the pixel limit.
    settings.n_threads = 1;
    settings.max_frame_delay = 1;
    settings.frame_size_limit = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    let mut decoder = Decoder(None);
    // SAFETY: both pointers are valid for the call.
    let r = unsafe { dav1d_open(Some(NonNull::from(&mut decoder.0)), Some(NonNull::from(&mut settings))) };
    if r.0 < 0 || decoder.0.is_none() {
        return Err(fail(format!("the AV1 decoder did not start (error {})", -r.0)));
    }
    let mut data = Data(Dav1dData::default());
    // SAFETY: `data` is valid to write; the returned buffer holds `obus.len()` bytes.
    let buffer = unsafe { dav1d_data_create(Some(NonNull::from(&mut data.0)), obus.len()) };
    if buffer.is_null() {
        return Err(fail("no memory for the AV1 data"));
    }
    // SAFETY: `buffer` is `obus.len()` bytes long and does not overlap `obus`.
    unsafe { std::ptr::copy_nonoverlapping(obus.as_ptr(), buffer, obus.len()) };
    let again = -libc::EAGAIN;
    let mut picture = Picture(Dav1dPicture::default());
    // Each round makes progress on one still picture; a bound keeps a decoder that
    // keeps asking for more from spinning.
    for round in 0.. {
        if round == 64 {
            return Err(fail("the AV1 decoder made no progress"));
        }
        if data.0.sz > 0 {
            // SAFETY: the context is open and `data` came from `dav1d_data_create`.
            let r = unsafe { dav1d_send_data(decoder.0, Some(NonNull::from(&mut data.0))) };
            if r.0 < 0 && r.0 != again {
                return Err(fail(format!("the AV1 data is invalid (error {})", -r.0)));
            }
        }
        // SAFETY: the context is open and `picture` is valid to write.
        let r = unsafe { dav1d_get_picture(decoder.0, Some(NonNull::from(&mut picture.0))) };
        if r.0 == 0 {
            break;
        }
        if r.0 != again {
            return Err(fail(format!("the AV1 picture did not decode (error {})", -r.0)));
        }
        if data.0.sz == 0 {
            return Err(fail("the AV1 data holds no picture"));
        }
    }
    let p = &picture.0;
    let (width, height) = (usize::try_from(p.p.w).unwrap_or(0), usize::try_from(p.p.h).unwrap_or(0));
    check_pixels(width as u64, height as u64, max_pixels)?;
    let bit_depth = u32::try_from(p.p.bpc).unwrap_or(0);
    if !matches!(bit_depth, 8 | 10 | 12) {
        return Err(fail(format!("{bit_depth}-bit samples")));
    }
    let subsampling = match p.p.layout {
        DAV1D_PIXEL_LAYOUT_I420 => (true, true),
        DAV1D_PIXEL_LAYOUT_I422 => (true, false),
        DAV1D_PIXEL_LAYOUT_I444 | DAV1D_PIXEL_LAYOUT_I400 => (false, false),
        other => return Err(fail(format!("pixel layout {other}"))),
    };
    let seq = p.seq_hdr.ok_or_else(|| fail("the picture has no sequence header"))?;
    // SAFETY: the sequence header lives as long as the picture.
    let (matrix, full_range) = unsafe { (seq.as_ref().mtrx, seq.as_ref().color_range != 0) };
    let count = if p.p.layout == DAV1D_PIXEL_LAYOUT_I400 { 1 } else { 3 };
    let mut planes = Vec::with_capacity(count);
    for i in 0..count {
        let (pw, ph) =
            if i == 0 { (width, height) } else { (width.div_ceil(1 << subsampling.0 as u32), height.div_ceil(1 << subsampling.1 as u32)) };
        let stride = usize::try_from(p.stride[usize::from(i > 0)]).map_err(|_| fail("a negative stride"))?;
        let base = p.data[i].ok_or_else(|| fail("a plane is missing"))?.as_ptr() as *const u8;
        let bytes_per_sample = if bit_depth > 8 { 2 } else { 1 };
        if stride < pw * bytes_per_sample {
            return Err(fail("a stride shorter than its row"));
        }
        let mut samples = Vec::with_capacity(pw * ph);
        for row in 0..ph {
            // SAFETY: the decoder allocated `stride` bytes for each of the plane's rows.
            let line = unsafe { std::slice::from_raw_parts(base.add(row * stride), pw * bytes_per_sample) };
            if bytes_per_sample == 1 {
                samples.extend(line.iter().map(|&v| u16::from(v)));
            } else {
                samples.extend(line.chunks_exact(2).map(|b| u16::from_ne_bytes([b[0], b[1]])));
            }
        }
        planes.push(Plane { width: pw, height: ph, samples });
    }
    Ok(Av1Picture { width, height, bit_depth, subsampling, matrix, full_range, planes })
}

/// The luma weights (Kr, Kb) of a matrix; `None` for the identity (GBR) matrix.
fn weights(matrix: Dav1dMatrixCoefficients) -> Result<Option<(f32, f32)>> {
    Ok(match matrix {
        DAV1D_MC_IDENTITY => None,
        DAV1D_MC_BT709 => Some((0.2126, 0.0722)),
        DAV1D_MC_FCC => Some((0.30, 0.11)),
        DAV1D_MC_BT470BG | DAV1D_MC_BT601 | DAV1D_MC_UNKNOWN => Some((0.299, 0.114)),
        DAV1D_MC_SMPTE240 => Some((0.212, 0.087)),
        DAV1D_MC_BT2020_NCL => Some((0.2627, 0.0593)),
        other => return Err(fail(format!("matrix coefficients {other}"))),
    })
}

/// A sample as a fraction of full scale: luma (or alpha) in 0–1, chroma around 0.
fn normalise(v: u16, bit_depth: u32, full_range: bool, chroma: bool) -> f32 {
    let v = f32::from(v);
    let scale = (1u32 << (bit_depth - 8)) as f32;
    match (full_range, chroma) {
        (true, false) => v / ((1u32 << bit_depth) - 1) as f32,
        (true, true) => (v - (1u32 << (bit_depth - 1)) as f32) / ((1u32 << bit_depth) - 1) as f32,
        (false, false) => (v - 16.0 * scale) / (219.0 * scale),
        (false, true) => (v - 128.0 * scale) / (224.0 * scale),
    }
}

fn to_u8(v: f32) -> u8 {
    (v * 255.0).round().clamp(0.0, 255.0) as u8
}

/// Every sample value of a plane, normalised (see [`normalise`]).
fn table(bit_depth: u32, full_range: bool, chroma: bool) -> Vec<f32> {
    (0..1u32 << bit_depth).map(|v| normalise(v as u16, bit_depth, full_range, chroma)).collect()
}

/// RGB (or grey) of a picture, and its alpha picture's luma as alpha. Sample
/// values are normalised through a table per plane, so a pixel is a few
/// multiply-adds.
fn to_rgb(color: &Av1Picture, alpha: Option<&Av1Picture>, premultiplied: bool) -> Result<Pixels> {
    let (w, h) = (color.width, color.height);
    if let Some(a) = alpha {
        if (a.width, a.height) != (w, h) {
            return Err(fail(format!("the alpha picture is {}×{}, the image {w}×{h}", a.width, a.height)));
        }
    }
    let kind = weights(color.matrix)?;
    let c = if alpha.is_some() { 4 } else { 3 };
    let mut data = vec![0u8; w * h * c];
    let luma = table(color.bit_depth, color.full_range, false);
    let chroma = table(color.bit_depth, color.full_range, true);
    // R = Y + r·Cr, B = Y + b·Cb, G = Y − gb·Cb − gr·Cr (the identity matrix: G = Y, B = Cb, R = Cr).
    let (r, b, gb, gr) = match kind {
        Some((kr, kb)) => {
            let kg = 1.0 - kr - kb;
            (2.0 * (1.0 - kr), 2.0 * (1.0 - kb), 2.0 * kb * (1.0 - kb) / kg, 2.0 * kr * (1.0 - kr) / kg)
        }
        None => (0.0, 0.0, 0.0, 0.0),
    };
    let (sx, sy) = (usize::from(color.subsampling.0), usize::from(color.subsampling.1));
    let ys = &color.planes[0].samples;
    for y in 0..h {
        let row = &mut data[y * w * c..(y + 1) * w * c];
        let lumas = &ys[y * w..(y + 1) * w];
        if color.planes.len() == 1 {
            for (px, &l) in row.chunks_exact_mut(c).zip(lumas) {
                let v = to_u8(luma[usize::from(l)]);
                px[..3].copy_from_slice(&[v, v, v]);
            }
            continue;
        }
        let (cbp, crp) = (&color.planes[1], &color.planes[2]);
        let cy = (y >> sy).min(cbp.height - 1) * cbp.width;
        let (cbs, crs) = (&cbp.samples[cy..cy + cbp.width], &crp.samples[cy..cy + crp.width]);
        for (x, (px, &l)) in row.chunks_exact_mut(c).zip(lumas).enumerate() {
            let cx = (x >> sx).min(cbp.width - 1);
            let (yv, cb, cr) = (luma[usize::from(l)], chroma[usize::from(cbs[cx])], chroma[usize::from(crs[cx])]);
            let rgb = match kind {
                Some(_) => [yv + r * cr, yv - gb * cb - gr * cr, yv + b * cb],
                None => [cr + 0.5, yv, cb + 0.5],
            };
            px[0] = to_u8(rgb[0]);
            px[1] = to_u8(rgb[1]);
            px[2] = to_u8(rgb[2]);
        }
    }
    if let Some(a) = alpha {
        let levels = table(a.bit_depth, a.full_range, false);
        for (px, &v) in data.chunks_exact_mut(4).zip(&a.planes[0].samples) {
            let av = to_u8(levels[usize::from(v)]);
            px[3] = av;
            if premultiplied && av < 255 {
                for v in &mut px[..3] {
                    *v = if av == 0 { 0 } else { ((u32::from(*v) * 255 + u32::from(av) / 2) / u32::from(av)).min(255) as u8 };
                }
            }
        }
    }
    Ok(Pixels { width: w as u32, height: h as u32, alpha: alpha.is_some(), data, rgbx: false })
}

/// The `(left, top, width, height)` rectangle of `p` (inside it).
fn crop(p: Pixels, (left, top, width, height): crate::avif_props::Crop) -> Pixels {
    let c = p.channels();
    let row = p.width as usize * c;
    let data = (top..top + height)
        .flat_map(|y| {
            let at = y as usize * row + left as usize * c;
            p.data[at..at + width as usize * c].iter().copied()
        })
        .collect();
    Pixels { width, height, data, ..p }
}

/// Decodes an AVIF file's primary image (and its alpha) into 8-bit RGB or RGBA.
pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded> {
    guarded(fail, || {
        // avif-parse sizes its reads by the boxes' claimed sizes: a forged one would have it reserve gigabytes.
        if !crate::avif_props::top_level_boxes_fit(bytes) {
            return Err(fail("a box claims more bytes than the file holds (truncated or corrupt)"));
        }
        let avif = avif_parse::read_avif(&mut &bytes[..]).map_err(|e| fail(format!("{e:?}")))?;
        // The sequence header's size, checked before anything is decoded.
        let meta = avif.primary_item_metadata().map_err(|e| fail(format!("{e:?}")))?;
        check_pixels(meta.max_frame_width.get().into(), meta.max_frame_height.get().into(), max_pixels)?;
        let color = decode_av1(&avif.primary_item, max_pixels)?;
        let alpha = avif.alpha_item.as_deref().map(|a| decode_av1(a, max_pixels)).transpose()?;
        let mut pixels = to_rgb(&color, alpha.as_ref(), avif.premultiplied_alpha)?;
        let props = crate::avif_props::read(bytes);
        if let Some(rect) = props.crop(pixels.width, pixels.height) {
            pixels = crop(pixels, rect);
        }
        if let Some(profile) = &props.icc {
            crate::icc::rgb_to_srgb(&mut pixels.data, pixels.alpha, profile);
        }
        Ok(Decoded { pixels, orientation: props.orientation() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::gradient;

    fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
        a.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / a.len() as f64
    }

    #[test]
    fn reads_back_what_the_encoder_writes() {
        // Odd sizes too: their 4:2:0 chroma planes round up.
        for (w, h, alpha) in [(96, 64, false), (96, 64, true), (33, 17, false), (33, 17, true)] {
            let src = gradient(w, h, alpha);
            let file = crate::avif::encode(&src, 90).unwrap();
            let back = decode(&file, 0).unwrap().pixels;
            assert_eq!((back.width, back.height, back.alpha), (w, h, alpha));
            // A 33-pixel ramp moves 8 levels a pixel, more than 4:2:0 chroma can follow.
            let limit = if w < 64 { 6.0 } else { 3.0 };
            let d = mean_abs_diff(&back.data, &src.data);
            assert!(d < limit, "mean difference {d} ({w}×{h}, alpha {alpha})");
            // The last column (a chroma sample of its own when the width is odd) is as close.
            let c = if alpha { 4 } else { 3 };
            let last =
                |p: &[u8]| -> Vec<u8> { (0..h as usize).flat_map(|y| p[(y * w as usize + w as usize - 1) * c..][..c].to_vec()).collect() };
            let edge = mean_abs_diff(&last(&back.data), &last(&src.data));
            assert!(edge < limit + 2.0, "last column off by {edge} ({w}×{h}, alpha {alpha})");
        }
    }

    #[test]
    fn limits_and_bad_files_are_errors() {
        let file = crate::avif::encode(&gradient(96, 64, false), 50).unwrap();
        assert!(matches!(decode(&file, 1000), Err(ImageError::TooManyPixels { .. })));
        assert!(matches!(decode(&file[..file.len() / 2], 0), Err(ImageError::Decode { format: "AVIF", .. })));
        assert!(matches!(decode(b"\0\0\0\x18ftypavif\0\0\0\0", 0), Err(ImageError::Decode { format: "AVIF", .. })));
    }

    #[test]
    fn limited_range_and_bt709_are_converted() {
        // Limited-range mid grey is 126 (luma) with neutral chroma at 128.
        assert!((normalise(126, 8, false, false) - 0.5).abs() < 0.01);
        assert!(normalise(128, 8, false, true).abs() < 1e-6);
        assert!((normalise(512, 10, true, true)).abs() < 0.001);
        assert_eq!(weights(DAV1D_MC_BT709).unwrap(), Some((0.2126, 0.0722)));
        assert_eq!(weights(DAV1D_MC_IDENTITY).unwrap(), None);
    }
}
