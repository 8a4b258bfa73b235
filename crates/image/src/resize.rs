//! Resampling with a Lanczos-3 filter (sharp's default kernel), in the
//! image's own sRGB values as sharp does, alpha premultiplied.
//!
//! `fast_image_resize` is built for RGBA only (`only_u8x4`): every other pixel
//! type's SIMD code would weigh on every function's addon. RGB is widened to
//! RGBA for the resampling and narrowed back.

use crate::decode::Pixels;
use crate::error::{ImageError, Result};
use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// The height that keeps the aspect ratio at `width`, rounded, at least 1.
pub fn height_for(width: u32, src_w: u32, src_h: u32) -> u32 {
    let h = (u64::from(src_h) * u64::from(width) + u64::from(src_w) / 2) / u64::from(src_w.max(1));
    h.max(1) as u32
}

/// `p` resampled to `width`×`height`; RGBX comes out as RGB.
pub fn resize(p: Pixels, width: u32, height: u32) -> Result<Pixels> {
    if (width, height) == (p.width, p.height) {
        return Ok(if p.rgbx { Pixels { rgbx: false, data: narrow(&p.data), ..p } } else { p });
    }
    let err = |e: &dyn std::fmt::Display| ImageError::Invalid(format!("resize to {width}×{height}: {e}"));
    let alpha = p.alpha;
    let rgba = if alpha || p.rgbx { p.data } else { widen(&p.data) };
    let src = Image::from_vec_u8(p.width, p.height, rgba, PixelType::U8x4).map_err(|e| err(&e))?;
    let mut dst = Image::new(width, height, PixelType::U8x4);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)).use_alpha(alpha);
    Resizer::new().resize(&src, &mut dst, &options).map_err(|e| err(&e))?;
    let out = dst.into_vec();
    let data = if alpha { out } else { narrow(&out) };
    Ok(Pixels { rgbx: false, width, height, alpha, data })
}

/// RGB to opaque RGBA.
fn widen(rgb: &[u8]) -> Vec<u8> {
    let mut out = vec![255u8; rgb.len() / 3 * 4];
    for (d, s) in out.chunks_exact_mut(4).zip(rgb.chunks_exact(3)) {
        d[..3].copy_from_slice(s);
    }
    out
}

/// RGBA to RGB, alpha dropped.
fn narrow(rgba: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; rgba.len() / 4 * 3];
    for (d, s) in out.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
        d.copy_from_slice(&s[..3]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_aspect_ratio() {
        assert_eq!(height_for(640, 1920, 1280), 427);
        assert_eq!(height_for(720, 2725, 2225), 588);
        assert_eq!(height_for(1, 5000, 10), 1);
    }

    #[test]
    fn a_flat_colour_stays_flat() {
        let p = Pixels { rgbx: false, width: 40, height: 20, alpha: false, data: [10u8, 200, 30].repeat(800) };
        let r = resize(p, 10, 5).unwrap();
        assert_eq!((r.width, r.height, r.data.len()), (10, 5, 150));
        assert!(r.data.chunks(3).all(|c| c == [10, 200, 30]));
        let p = Pixels { rgbx: true, width: 40, height: 20, alpha: false, data: [10u8, 200, 30, 0].repeat(800) };
        let r = resize(p.clone(), 10, 5).unwrap();
        assert!(!r.rgbx && r.data.len() == 150 && r.data.chunks(3).all(|c| c == [10, 200, 30]), "RGBX in, RGB out");
        let same = resize(p, 40, 20).unwrap();
        assert!(!same.rgbx && same.data.len() == 2400, "RGBX comes out as RGB without a resize too");
        let p = Pixels { rgbx: false, width: 40, height: 20, alpha: true, data: [10u8, 200, 30, 128].repeat(800) };
        let r = resize(p, 10, 5).unwrap();
        assert!(r.data.chunks(4).all(|c| c[3] == 128 && c[1].abs_diff(200) <= 1), "{:?}", &r.data[..8]);
    }
}
