//! AVIF output, as sharp writes it for Next's `avif({ quality, effort: 3 })`:
//! one AV1 still picture (rav1e), 8-bit YCbCr 4:2:0 with BT.601 coefficients
//! at full range, tagged sRGB; alpha, when the image has any, as a second,
//! monochrome AV1 picture. The file around them is written by `avif-serialize`.
//!
//! Quality follows libheif's AOM plugin, which sharp goes through: quality q
//! (1–100) is the constant-quality level `((100 − q) · 63 + 50) / 100` on AOM's
//! 0–63 scale, turned into an AV1 quantizer index (0–255) by AOM's table.

use crate::decode::Pixels;
use crate::error::{guarded, ImageError, Result};
use rav1e::prelude::*;

/// rav1e's speed preset (0 slowest … 10 fastest). 8 keeps a 640-wide photo's
/// encode near sharp's time at `effort: 3` (AOM speed 6); see `bench/images.mjs`.
const SPEED: u8 = 8;

/// AOM's quantizer (0–63) as an AV1 quantizer index (0–255): steps of 4, with
/// the last two entries 249 and 255 (`quantizer_to_qindex` in libaom).
fn qindex(quantizer: u8) -> u8 {
    match quantizer {
        0..=61 => quantizer * 4,
        62 => 249,
        _ => 255,
    }
}

/// The AV1 quantizer index for sharp's AVIF `quality` (1–100).
pub(crate) fn quantizer_for(quality: u8) -> u8 {
    let q = u32::from(quality.clamp(1, 100));
    qindex((((100 - q) * 63 + 50) / 100) as u8)
}

fn fail(message: impl Into<String>) -> ImageError {
    ImageError::Encode { format: "AVIF", message: message.into() }
}

/// BT.601 full-range luma and chroma of one sRGB pixel, unrounded.
fn ycbcr(r: u8, g: u8, b: u8) -> (f32, f32, f32) {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    (y, (b - y) / 1.772 + 128.0, (r - y) / 1.402 + 128.0)
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// The planes of `p`: Y at full size, Cb and Cr averaged over 2×2 blocks
/// (edge blocks over the pixels they have), and alpha when there is any.
struct Planes {
    y: Vec<u8>,
    cb: Vec<u8>,
    cr: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

fn planes(p: &Pixels) -> Planes {
    let (w, h, c) = (p.width as usize, p.height as usize, p.channels());
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut y = vec![0u8; w * h];
    let mut sums = vec![[0f32; 3]; cw * ch];
    let mut translucent = false;
    for row in 0..h {
        let line = &p.data[row * w * c..(row + 1) * w * c];
        for (col, px) in line.chunks_exact(c).enumerate() {
            let (l, cb, cr) = ycbcr(px[0], px[1], px[2]);
            y[row * w + col] = to_u8(l);
            let s = &mut sums[(row / 2) * cw + col / 2];
            s[0] += cb;
            s[1] += cr;
            s[2] += 1.0;
            translucent |= c == 4 && px[3] != 255;
        }
    }
    let (cb, cr) = sums.iter().map(|s| (to_u8(s[0] / s[2]), to_u8(s[1] / s[2]))).unzip();
    let alpha = translucent.then(|| p.data.chunks_exact(4).map(|px| px[3]).collect());
    Planes { y, cb, cr, alpha }
}

/// One AV1 still picture of the given planes (Y, or Y Cb Cr at 4:2:0).
fn av1(width: usize, height: usize, planes: &[&[u8]], quantizer: u8) -> Result<Vec<u8>> {
    let mono = planes.len() == 1;
    let mut enc = EncoderConfig::with_speed_preset(SPEED);
    enc.width = width;
    enc.height = height;
    enc.bit_depth = 8;
    enc.still_picture = true;
    enc.quantizer = usize::from(quantizer);
    enc.min_quantizer = quantizer;
    enc.pixel_range = PixelRange::Full;
    enc.chroma_sampling = if mono { ChromaSampling::Cs400 } else { ChromaSampling::Cs420 };
    enc.color_description = (!mono).then_some(ColorDescription {
        color_primaries: ColorPrimaries::BT709,
        transfer_characteristics: TransferCharacteristics::SRGB,
        matrix_coefficients: MatrixCoefficients::BT601,
    });
    let cfg = Config::new().with_encoder_config(enc);
    let mut ctx: Context<u8> = cfg.new_context().map_err(|e| fail(format!("rav1e refused the configuration: {e}")))?;
    let mut frame = ctx.new_frame();
    for (i, plane) in planes.iter().enumerate() {
        let stride = if i == 0 { width } else { width.div_ceil(2) };
        frame.planes[i].copy_from_raw_u8(plane, stride, 1);
    }
    ctx.send_frame(frame).map_err(|e| fail(format!("rav1e: {e}")))?;
    ctx.flush();
    let mut out = Vec::new();
    loop {
        match ctx.receive_packet() {
            Ok(packet) => out.extend_from_slice(&packet.data),
            Err(EncoderStatus::Encoded) => {}
            Err(EncoderStatus::LimitReached) => break,
            Err(e) => return Err(fail(format!("rav1e: {e}"))),
        }
    }
    Ok(out)
}

/// `p` as an AVIF file at sharp's `quality` (1–100).
pub fn encode(p: &Pixels, quality: u8) -> Result<Vec<u8>> {
    guarded(fail, || {
        let (w, h) = (p.width as usize, p.height as usize);
        let q = quantizer_for(quality);
        let planes = planes(p);
        let color = av1(w, h, &[&planes.y, &planes.cb, &planes.cr], q)?;
        let alpha = planes.alpha.as_deref().map(|a| av1(w, h, &[a], q)).transpose()?;
        let mut file = avif_serialize::Aviffy::new();
        file.set_seq_profile(0)
            .set_chroma_subsampling((true, true))
            .set_bit_depth(8)
            .set_full_color_range(true)
            .set_matrix_coefficients(avif_serialize::constants::MatrixCoefficients::Bt601);
        let mut out = Vec::new();
        file.write(&mut out, &color, alpha.as_deref(), p.width, p.height, 8)
            .map_err(|e| fail(format!("writing the AVIF container: {e}")))?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::gradient;

    #[test]
    fn quality_maps_as_libheif_and_libaom_do() {
        // Next asks for round(q · 50 / 80): 75 → 47 → AOM level 33 → index 132.
        assert_eq!(quantizer_for(47), 132);
        assert_eq!(quantizer_for(100), 0);
        assert_eq!(quantizer_for(1), 249);
        assert_eq!(quantizer_for(0), 249, "clamped to 1");
        assert_eq!(qindex(63), 255);
    }

    #[test]
    fn chroma_is_averaged_over_each_2x2_block_including_odd_edges() {
        // 3×1: two pixels in the first block, one in the second.
        let p = Pixels { rgbx: false, width: 3, height: 1, alpha: false, data: vec![255, 0, 0, 0, 0, 255, 0, 0, 255] };
        let planes = planes(&p);
        assert_eq!(planes.y.len(), 3);
        assert_eq!((planes.cb.len(), planes.cr.len()), (2, 2));
        let red = ycbcr(255, 0, 0);
        let blue = ycbcr(0, 0, 255);
        assert_eq!(planes.cb[0], to_u8((red.1 + blue.1) / 2.0));
        assert_eq!(planes.cr[1], to_u8(blue.2));
        assert!(planes.alpha.is_none());
    }

    #[test]
    fn opaque_rgba_has_no_alpha_plane() {
        let p = Pixels { rgbx: false, width: 2, height: 2, alpha: true, data: [10, 20, 30, 255].repeat(4) };
        assert!(planes(&p).alpha.is_none());
        let p = Pixels { rgbx: false, width: 2, height: 2, alpha: true, data: [10, 20, 30, 128].repeat(4) };
        assert_eq!(planes(&p).alpha, Some(vec![128; 4]));
    }

    #[test]
    fn writes_a_4_2_0_still_picture_with_an_alpha_item_when_translucent() {
        for (alpha, w, h) in [(false, 64, 48), (true, 33, 17)] {
            let file = encode(&gradient(w, h, alpha), 47).unwrap();
            assert_eq!(&file[4..12], b"ftypavif");
            let parsed = avif_parse::read_avif(&mut file.as_slice()).unwrap();
            let color = parsed.primary_item_metadata().unwrap();
            assert!(color.still_picture);
            assert_eq!((color.max_frame_width.get(), color.max_frame_height.get()), (w, h));
            assert_eq!((color.seq_profile, color.bit_depth, color.chroma_subsampling), (0, 8, (true, true)));
            let alpha_item = parsed.alpha_item_metadata().unwrap();
            assert_eq!(alpha_item.is_some(), alpha);
            if let Some(a) = alpha_item {
                assert!(a.monochrome);
            }
        }
    }

    #[test]
    fn a_lower_quality_makes_a_smaller_file() {
        let p = gradient(128, 96, false);
        assert!(encode(&p, 20).unwrap().len() < encode(&p, 90).unwrap().len());
    }
}
