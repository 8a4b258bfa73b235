//! The primary item's properties in an AVIF's `meta` box that change how its
//! picture is shown and avif-parse does not read: `clap` (a crop), `irot`
//! (turned by quarter turns anticlockwise), `imir` (mirrored) and a `colr` ICC
//! profile. libheif applies them when sharp reads an AVIF (crop, then turn,
//! then mirror), so the output is cropped, upright and in sRGB; so is ours.
//!
//! The boxes are ISO BMFF (ISO/IEC 14496-12) with HEIF's item properties
//! (ISO/IEC 23008-12): `meta` → `pitm` (the primary item), `iprp` → `ipco`
//! (the properties, numbered from 1) and `ipma` (which item has which).

use crate::orient::Orientation;

/// What the primary item's properties ask of its decoded pixels.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ItemProps {
    /// `irot`: anticlockwise quarter turns (0 to 3).
    pub rotation: u8,
    /// `imir`: 0 exchanges top and bottom, 1 left and right.
    pub mirror: Option<u8>,
    /// A `colr` box of type `prof` or `rICC`.
    pub icc: Option<Vec<u8>>,
    /// `clap`: width, height, horizontal and vertical offset of the clean
    /// aperture's centre from the picture's, as numerator/denominator pairs.
    pub clap: Option<[(i64, i64); 4]>,
}

/// A crop rectangle in pixels: left, top, width, height.
pub(crate) type Crop = (u32, u32, u32, u32);

impl ItemProps {
    /// The `clap` crop of a `width`×`height` picture, rounded down to whole
    /// pixels; `None` without one, or when it is degenerate or not inside the picture.
    pub fn crop(&self, width: u32, height: u32) -> Option<Crop> {
        let [w, h, x, y] = self.clap?;
        let frac = |(n, d): (i64, i64)| (d != 0).then(|| n as f64 / d as f64);
        let (cw, ch) = (frac(w)?.floor(), frac(h)?.floor());
        // The centre is offset from the picture's: left = offset + (W - w) / 2.
        let left = (frac(x)? + (f64::from(width) - cw) / 2.0).floor();
        let top = (frac(y)? + (f64::from(height) - ch) / 2.0).floor();
        let fits = cw >= 1.0 && ch >= 1.0 && left >= 0.0 && top >= 0.0;
        let fits = fits && left + cw <= f64::from(width) && top + ch <= f64::from(height);
        let whole = cw as u32 == width && ch as u32 == height;
        (fits && !whole).then_some((left as u32, top as u32, cw as u32, ch as u32))
    }

    /// The rotation, then the mirroring (HEIF's order), as one EXIF orientation.
    pub fn orientation(&self) -> Orientation {
        use Orientation::*;
        match (self.rotation & 3, self.mirror) {
            (0, None) => Normal,
            (0, Some(0)) => FlipV,
            (0, Some(_)) => FlipH,
            (1, None) => Rotate270,
            (1, Some(0)) => Transpose,
            (1, Some(_)) => Transverse,
            (2, None) => Rotate180,
            (2, Some(0)) => FlipH,
            (2, Some(_)) => FlipV,
            (_, None) => Rotate90,
            (_, Some(0)) => Transverse,
            (_, Some(_)) => Transpose,
        }
    }
}

/// One box: its type, its payload (after the header) and its whole size.
struct Box<'a> {
    kind: [u8; 4],
    body: &'a [u8],
    size: usize,
}

/// The boxes laid end to end in `data`; stops at the first that does not fit.
fn boxes(mut data: &[u8]) -> impl Iterator<Item = Box<'_>> {
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?) as u64;
        let kind: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, data.len() as u64),
            1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
            n => (8, n),
        };
        let size = usize::try_from(size).ok().filter(|&s| s >= header && s <= data.len())?;
        let b = Box { kind, body: &data[header..size], size };
        data = &data[size..];
        Some(b)
    })
}

/// Whether every top-level box of `file` fits in it: a box that claims more
/// bytes than are left is a truncated or forged file, refused before a parser
/// sizes anything by it. (Fewer than 8 bytes left over are no box.)
pub(crate) fn top_level_boxes_fit(file: &[u8]) -> bool {
    let consumed: usize = boxes(file).map(|b| b.size).sum();
    file.len() - consumed < 8
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|b| &b.kind == kind).map(|b| b.body)
}

/// Big-endian unsigned integer of `n` bytes at `at`.
fn uint(data: &[u8], at: usize, n: usize) -> Option<u32> {
    Some(data.get(at..at + n)?.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b)))
}

/// Reads the primary item's properties; a file without them (or with boxes it
/// cannot follow) has none, and is shown as stored.
pub(crate) fn read(file: &[u8]) -> ItemProps {
    read_props(file).unwrap_or_default()
}

fn read_props(file: &[u8]) -> Option<ItemProps> {
    // `meta`, `pitm` and `ipma` are full boxes: a version byte and three flag bytes first.
    let meta = child(file, b"meta")?.get(4..)?;
    let pitm = child(meta, b"pitm")?;
    let primary = uint(pitm, 4, if pitm.first()? == &0 { 2 } else { 4 })?;
    let iprp = child(meta, b"iprp")?;
    let properties: Vec<Box> = boxes(child(iprp, b"ipco")?).collect();
    let mut out = ItemProps::default();
    for ipma in boxes(iprp).filter(|b| &b.kind == b"ipma").map(|b| b.body) {
        let (version, flags) = (*ipma.first()?, uint(ipma, 1, 3)?);
        let (id_len, index_len) = (if version < 1 { 2 } else { 4 }, if flags & 1 == 1 { 2 } else { 1 });
        let mut at = 8;
        for _ in 0..uint(ipma, 4, 4)? {
            let item = uint(ipma, at, id_len)?;
            let count = *ipma.get(at + id_len)? as usize;
            at += id_len + 1;
            for i in 0..count {
                // The top bit marks the property essential; the rest is its 1-based index.
                let index = uint(ipma, at + i * index_len, index_len)? & if index_len == 2 { 0x7fff } else { 0x7f };
                if item != primary || index == 0 {
                    continue;
                }
                let Some(p) = properties.get(index as usize - 1) else { continue };
                match &p.kind {
                    b"clap" => {
                        // Width and height are unsigned, the offsets signed.
                        let v = |i: usize| uint(p.body, i * 4, 4);
                        let (s, u) = (|i| v(i).map(|n| i64::from(n as i32)), |i| v(i).map(i64::from));
                        out.clap = Some([(u(0)?, u(1)?), (u(2)?, u(3)?), (s(4)?, u(5)?), (s(6)?, u(7)?)]);
                    }
                    b"irot" => out.rotation = p.body.first()? & 3,
                    b"imir" => out.mirror = Some(p.body.first()? & 1),
                    b"colr" if matches!(p.body.get(0..4)?, b"prof" | b"rICC") => out.icc = Some(p.body[4..].to_vec()),
                    _ => {}
                }
            }
            at += count * index_len;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(body);
        v
    }

    /// A `meta` box whose primary item 1 has `props` (item 2 has an `irot` of its own).
    fn file(props: &[Vec<u8>], large_indices: bool) -> Vec<u8> {
        let mut ipco = bx(b"irot", &[3]);
        for p in props {
            ipco.extend(p);
        }
        let mut ipma = vec![0, 0, 0, u8::from(large_indices)];
        ipma.extend(2u32.to_be_bytes());
        let index = |i: usize| if large_indices { (0x8000 | i as u16).to_be_bytes().to_vec() } else { vec![0x80 | i as u8] };
        ipma.extend(2u16.to_be_bytes());
        ipma.push(1);
        ipma.extend(index(1));
        ipma.extend(1u16.to_be_bytes());
        ipma.push(props.len() as u8);
        for i in 0..props.len() {
            ipma.extend(index(i + 2));
        }
        let mut iprp = bx(b"ipco", &ipco);
        iprp.extend(bx(b"ipma", &ipma));
        let mut meta = vec![0, 0, 0, 0];
        meta.extend(bx(b"pitm", &[0, 0, 0, 0, 0, 1]));
        meta.extend(bx(b"iprp", &iprp));
        let mut f = bx(b"ftyp", b"avifmif1");
        f.extend(bx(b"meta", &meta));
        f.extend(bx(b"mdat", &[1, 2, 3]));
        f
    }

    #[test]
    fn reads_the_primary_items_properties() {
        let mut colr = b"prof".to_vec();
        colr.extend(b"ICC!");
        for large in [false, true] {
            let f = file(&[bx(b"irot", &[1]), bx(b"imir", &[1]), bx(b"colr", &colr)], large);
            let p = read(&f);
            assert_eq!(p, ItemProps { rotation: 1, mirror: Some(1), icc: Some(b"ICC!".to_vec()), clap: None });
            assert_eq!(p.orientation(), Orientation::Transverse);
        }
        // Another item's rotation is not the primary one's; an nclx colr is no profile.
        let p = read(&file(&[bx(b"colr", b"nclx\0\x01\0\x0d\0\x06\x80")], false));
        assert_eq!(p, ItemProps::default());
    }

    #[test]
    fn reads_what_avifenc_writes() {
        // libavif 0.11's avifenc: `--irot 1 --imir 0`, and a JPEG's 480-byte Display P3 profile.
        let img = concat!(env!("CARGO_MANIFEST_DIR"), "/../../__test__/fixtures/next16/public/img/");
        let turned = read(&std::fs::read(format!("{img}turned-mirrored.avif")).unwrap());
        assert_eq!((turned.rotation, turned.mirror, turned.icc.is_some()), (1, Some(0), false));
        let cropped = read(&std::fs::read(format!("{img}cropped.avif")).unwrap());
        assert_eq!(cropped.crop(240, 144), Some((20, 10, 150, 100)), "avifenc --crop 20,10,150,100");
        let p3 = read(&std::fs::read(format!("{img}p3.avif")).unwrap());
        assert_eq!((p3.rotation, p3.mirror, p3.icc.map(|p| p.len())), (0, None, Some(480)));
    }

    #[test]
    fn boxes_that_claim_more_than_the_file_are_caught() {
        let f = file(&[bx(b"irot", &[2])], false);
        assert!(top_level_boxes_fit(&f));
        assert!(!top_level_boxes_fit(&f[..f.len() - 2]), "mdat cut short");
        let mut forged = f.clone();
        forged[0..4].copy_from_slice(&0xffff_101c_u32.to_be_bytes());
        assert!(!top_level_boxes_fit(&forged), "an ftyp of 4 GB");
    }

    #[test]
    fn broken_boxes_are_no_properties() {
        let f = file(&[bx(b"irot", &[2])], false);
        assert_eq!(read(&f).rotation, 2);
        for cut in [20, 40, 60, f.len() - 10] {
            let _ = read(&f[..cut]);
        }
        let mut bad = f.clone();
        bad[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(read(&bad), ItemProps::default());
    }

    #[test]
    fn clean_apertures_become_crops() {
        let mut body = vec![];
        for v in [100u32, 1, 50, 1, (-10i32) as u32, 1, 5, 2] {
            body.extend(v.to_be_bytes());
        }
        let p = read(&file(&[bx(b"clap", &body)], false));
        assert_eq!(p.clap, Some([(100, 1), (50, 1), (-10, 1), (5, 2)]));
        // Centred 100×50 in 200×100 is at (50, 25); moved 10 left and 2.5 down.
        assert_eq!(p.crop(200, 100), Some((40, 27, 100, 50)));
        assert_eq!(p.crop(100, 50), None, "not inside the picture");
        let whole = ItemProps { clap: Some([(200, 1), (100, 1), (0, 1), (0, 1)]), ..Default::default() };
        assert_eq!(whole.crop(200, 100), None, "the whole picture");
        let zero = ItemProps { clap: Some([(200, 0), (100, 1), (0, 1), (0, 1)]), ..Default::default() };
        assert_eq!(zero.crop(200, 100), None);
    }

    #[test]
    fn orientations_compose_rotation_then_mirror() {
        let o = |rotation, mirror| ItemProps { rotation, mirror, ..Default::default() }.orientation();
        assert_eq!(o(0, None), Orientation::Normal);
        assert_eq!(o(3, None), Orientation::Rotate90, "three anticlockwise quarter turns are one clockwise");
        assert_eq!(o(2, Some(0)), Orientation::FlipH, "turned half round, then top and bottom exchanged");
        assert_eq!(o(1, Some(0)), Orientation::Transpose);
    }
}
