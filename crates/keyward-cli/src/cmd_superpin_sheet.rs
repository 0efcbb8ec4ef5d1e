//! `keyward superpin export`: the printable Super PIN recovery sheet — the
//! account, the Super PIN in its 9 groups, the date, and a QR code of the
//! Recovery URL (a one-use token issued here with the server key; it holds
//! no part of the Super PIN). PNG (8-bit grey, `png`), SVG, or Unicode
//! blocks on the terminal (`--terminal`). Files are created 0600, whole or
//! not at all, never over an existing file.

use std::path::{Path, PathBuf};

use clap::Args;
use keyward_core::zeroize::Zeroizing;
use keyward_superpin::{RecoveryUrlKey, SuperPin};
use qrcode::{Color, EcLevel, QrCode};

use crate::io::{self, CmdResult, Failure};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The account (user id or e-mail address) the Super PIN belongs to.
    #[arg(long)]
    account: String,
    /// Base of the Recovery URL (https://…, no query): the sheet's QR code
    /// holds BASE?account=…&token=….
    #[arg(long, value_name = "URL")]
    recovery_url_base: String,
    /// File holding the Recovery URL server key (64 hex digits), as made by
    /// `keyward superpin recovery-url new-key`.
    #[arg(long, value_name = "FILE")]
    server_key: PathBuf,
    /// Days the Recovery URL stays valid (it works once).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..=1826))]
    valid_days: u64,
    /// The sheet file: FILE.png or FILE.svg (created 0600, never
    /// overwritten).
    #[arg(long, value_name = "FILE", required_unless_present = "terminal")]
    out: Option<PathBuf>,
    /// Print the sheet on the terminal, the QR code in Unicode blocks,
    /// instead of writing a file.
    #[arg(long, conflicts_with = "out")]
    terminal: bool,
}

/// What the sheet shows.
struct Sheet {
    account: String,
    date: String,
    groups: Vec<Zeroizing<String>>,
    url: String,
    valid_until: String,
}

/// Sheet file kinds, from the file name's extension.
enum Kind {
    Png,
    Svg,
}

fn kind_of(path: &Path) -> Result<Kind, Failure> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => Ok(Kind::Png),
        Some("svg") => Ok(Kind::Svg),
        other => Err(Failure::Usage(format!(
            "--out {}: expected a file name ending in .png or .svg, found {}",
            path.display(),
            other.map_or_else(|| "no extension".to_owned(), |e| format!(".{e}"))
        ))),
    }
}

/// Unix seconds now.
pub fn unix_now() -> Result<u64, Failure> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Failure::Input("the system clock is before 1970".to_owned()))
}

/// `YYYY-MM-DD` (UTC) of Unix seconds (the proleptic Gregorian calendar,
/// H. Hinnant's `civil_from_days`).
pub fn utc_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Reads the server key file: 64 hex digits on the first line.
///
/// # Errors
/// [`Failure::Input`] naming the file, never its contents.
pub fn read_server_key(path: &Path) -> Result<RecoveryUrlKey, Failure> {
    let text = io::read_secret_file(path, "the Recovery URL server key")?;
    let line = text.lines().next().unwrap_or("").trim();
    let mut key = Zeroizing::new([0u8; 32]);
    if line.len() != 64 || keyward_core::hex::decode_into(line, key.as_mut_slice()).is_err() {
        return Err(Failure::Input(format!(
            "{}: expected a Recovery URL server key of 64 hex digits on the first line, found {} characters{}",
            path.display(),
            line.chars().count(),
            if line.chars().all(|c| c.is_ascii_hexdigit()) {
                ""
            } else {
                " (not all hex digits)"
            }
        )));
    }
    Ok(RecoveryUrlKey::from_bytes(*key))
}

pub fn run(a: &ExportArgs) -> CmdResult {
    let kind = a.out.as_deref().map(kind_of).transpose()?;
    if let Some(p) = a.out.as_deref().filter(|p| p.exists()) {
        return Err(Failure::Input(format!(
            "{} exists: refusing to overwrite a recovery sheet",
            p.display()
        )));
    }
    let server_key = read_server_key(&a.server_key)?;
    let input = io::read_stdin_secret_line("the Super PIN")?;
    let pin = SuperPin::parse(io::single_line(&input, "the Super PIN")?)?;
    let now = unix_now()?;
    let valid_for = a.valid_days.saturating_mul(86_400);
    let token = server_key.issue(
        a.account.as_bytes(),
        now,
        valid_for,
        &mut keyward_core::os_rng(),
    )?;
    let url = keyward_superpin::recovery_url(&a.recovery_url_base, &a.account, &token)?;
    let text = pin.to_zeroizing_string();
    let sheet = Sheet {
        account: a.account.clone(),
        date: utc_date(now),
        groups: text
            .split('-')
            .map(|g| Zeroizing::new(g.to_owned()))
            .collect(),
        url,
        valid_until: utc_date(token.expires_at()),
    };
    let qr = QrCode::with_error_correction_level(sheet.url.as_bytes(), EcLevel::M)
        .map_err(|e| Failure::Input(format!("the Recovery URL does not fit a QR code: {e}")))?;
    match (kind, a.out.as_deref()) {
        (Some(Kind::Png), Some(path)) => {
            let png = render_png(&sheet, &qr)?;
            crate::age_delivery::write_new_file(path, &png)?;
            io::note(&format!(
                "keyward: recovery sheet written to {}",
                path.display()
            ))
        }
        (Some(Kind::Svg), Some(path)) => {
            let svg = render_svg(&sheet, &qr);
            crate::age_delivery::write_new_file(path, svg.as_bytes())?;
            io::note(&format!(
                "keyward: recovery sheet written to {}",
                path.display()
            ))
        }
        _ => render_terminal(&sheet, &qr),
    }
}

// ---- text lines of the sheet ----

const TITLE: &str = "keyward Super PIN recovery sheet";
const KEEP: &str = "Keep this sheet private: the Super PIN unlocks your account.";
const SCAN: &str = "Recovery URL: scan to receive a one-time Recovery Code by e-mail.";

/// The 9 groups in 3 numbered rows ("1 XXXXXX   2 XXXXXX   3 XXXXXX"), each
/// built in one zeroizing allocation (no temporary copy of a group).
fn pin_rows(sheet: &Sheet, indent: &str) -> Vec<Zeroizing<String>> {
    sheet
        .groups
        .chunks(3)
        .enumerate()
        .map(|(r, row)| {
            let mut line = Zeroizing::new(String::with_capacity(indent.len() + 64));
            line.push_str(indent);
            for (c, g) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("   ");
                }
                line.push_str(&(r * 3 + c + 1).to_string());
                line.push(' ');
                line.push_str(g.as_str());
            }
            line
        })
        .collect()
}

fn valid_line(sheet: &Sheet) -> String {
    format!("Valid until {} (UTC); it works once.", sheet.valid_until)
}

fn url_lines(url: &str, width: usize) -> Vec<String> {
    url.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

// ---- PNG ----

const PNG_W: usize = 1240;
const MARGIN: usize = 60;
const QR_MODULE: usize = 8;
const QR_QUIET: usize = 4;

struct Canvas {
    w: usize,
    h: usize,
    px: Zeroizing<Vec<u8>>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            px: Zeroizing::new(vec![255u8; w * h]),
        }
    }

    fn fill(&mut self, x: usize, y: usize, w: usize, h: usize) {
        for yy in y..(y + h).min(self.h) {
            let row = yy * self.w;
            for xx in x..(x + w).min(self.w) {
                if let Some(p) = self.px.get_mut(row + xx) {
                    *p = 0;
                }
            }
        }
    }

    /// 8x8 bitmap font (public-domain font8x8), `scale` pixels per dot;
    /// characters outside ASCII are drawn as `?`.
    fn text(&mut self, x: usize, y: usize, scale: usize, text: &str) {
        for (i, ch) in text.chars().enumerate() {
            let code = if ch.is_ascii() {
                ch as usize
            } else {
                '?' as usize
            };
            let glyph = font8x8::legacy::BASIC_LEGACY
                .get(code)
                .copied()
                .unwrap_or([0; 8]);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        self.fill(x + (i * 8 + col) * scale, y + row * scale, scale, scale);
                    }
                }
            }
        }
    }

    fn qr(&mut self, x: usize, y: usize, qr: &QrCode) {
        let n = qr.width();
        for (i, c) in qr.to_colors().iter().enumerate() {
            if *c == Color::Dark {
                let (mx, my) = (i % n, i / n);
                self.fill(
                    x + (QR_QUIET + mx) * QR_MODULE,
                    y + (QR_QUIET + my) * QR_MODULE,
                    QR_MODULE,
                    QR_MODULE,
                );
            }
        }
    }
}

fn render_png(sheet: &Sheet, qr: &QrCode) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let qr_px = (qr.width() + 2 * QR_QUIET) * QR_MODULE;
    let url = url_lines(&sheet.url, (PNG_W - 2 * MARGIN) / 16);
    let h = MARGIN + 40 + 90 + 40 + 3 * 56 + 40 + 40 + qr_px + 20 + url.len() * 24 + 40 + MARGIN;
    let mut c = Canvas::new(PNG_W, h);
    let mut y = MARGIN;
    c.text(MARGIN, y, 3, TITLE);
    y += 40;
    c.text(MARGIN, y, 2, &format!("Account: {}", sheet.account));
    y += 30;
    c.text(MARGIN, y, 2, &format!("Date:    {}", sheet.date));
    y += 60;
    c.text(MARGIN, y, 2, KEEP);
    y += 40;
    for row in pin_rows(sheet, "") {
        c.text(MARGIN, y, 4, &row);
        y += 56;
    }
    y += 40;
    c.text(MARGIN, y, 2, SCAN);
    y += 40;
    c.qr(MARGIN, y, qr);
    y += qr_px + 20;
    for line in &url {
        c.text(MARGIN, y, 2, line);
        y += 24;
    }
    y += 16;
    c.text(MARGIN, y, 2, &valid_line(sheet));
    // Room for the whole encoded image up front (deflate never grows it by
    // more than a few bytes per block), so no reallocation leaves a copy.
    let mut out = Zeroizing::new(Vec::with_capacity(c.px.len() + c.h + 65_536));
    {
        let w = u32::try_from(c.w).map_err(|_| Failure::Input("sheet too large".to_owned()))?;
        let h = u32::try_from(c.h).map_err(|_| Failure::Input("sheet too large".to_owned()))?;
        let mut enc = png::Encoder::new(&mut *out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let fail = |e: png::EncodingError| Failure::Input(format!("encoding the PNG: {e}"));
        let mut writer = enc.write_header().map_err(fail)?;
        writer.write_image_data(&c.px).map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}

// ---- SVG ----

/// Appends `t` XML-escaped, character by character (no temporary copy).
fn push_escaped(out: &mut String, t: &str) {
    for ch in t.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn render_svg(sheet: &Sheet, qr: &QrCode) -> Zeroizing<String> {
    let n = qr.width();
    let qr_px = (n + 2 * QR_QUIET) * QR_MODULE;
    let url = url_lines(&sheet.url, 68);
    let h = 60 + 40 + 90 + 40 + 3 * 56 + 40 + 40 + qr_px + 20 + url.len() * 24 + 40 + 60;
    // One allocation large enough for the whole document (about 40 bytes
    // per dark module plus the text), so the Super PIN is never left behind
    // in a reallocated buffer.
    let mut s = Zeroizing::new(String::with_capacity(n * n * 40 + 16_384));
    s.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{PNG_W}\" height=\"{h}\" viewBox=\"0 0 {PNG_W} {h}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n\
         <g font-family=\"DejaVu Sans Mono, monospace\" fill=\"#000\">\n"
    ));
    let mut text = |y: usize, size: usize, t: &str| {
        s.push_str(&format!(
            "<text x=\"{MARGIN}\" y=\"{y}\" font-size=\"{size}\" xml:space=\"preserve\">"
        ));
        push_escaped(&mut s, t);
        s.push_str("</text>\n");
    };
    let mut y = 60 + 24;
    text(y, 28, TITLE);
    y += 40;
    text(y, 20, &format!("Account: {}", sheet.account));
    y += 30;
    text(y, 20, &format!("Date:    {}", sheet.date));
    y += 60;
    text(y, 20, KEEP);
    y += 50;
    for row in pin_rows(sheet, "") {
        text(y, 40, &row);
        y += 56;
    }
    y += 30;
    text(y, 20, SCAN);
    y += 20;
    let qr_y = y;
    y += qr_px + 30;
    for line in &url {
        text(y, 20, line);
        y += 24;
    }
    y += 16;
    text(y, 20, &valid_line(sheet));
    s.push_str("</g>\n<path fill=\"#000\" d=\"");
    for (i, c) in qr.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            let x = MARGIN + (QR_QUIET + i % n) * QR_MODULE;
            let yy = qr_y + (QR_QUIET + i / n) * QR_MODULE;
            s.push_str(&format!("M{x} {yy}h{QR_MODULE}v{QR_MODULE}h-{QR_MODULE}z"));
        }
    }
    s.push_str("\"/>\n</svg>\n");
    s
}

// ---- terminal ----

fn render_terminal(sheet: &Sheet, qr: &QrCode) -> CmdResult {
    io::out(TITLE)?;
    io::out(&format!("Account: {}", sheet.account))?;
    io::out(&format!("Date:    {}", sheet.date))?;
    io::out("")?;
    io::out(KEEP)?;
    for row in pin_rows(sheet, "  ") {
        io::out(&row)?;
    }
    io::out("")?;
    io::out(SCAN)?;
    // Two modules per character cell. For the usual light-on-dark terminal,
    // light modules (and the quiet zone) are drawn as filled blocks and dark
    // modules left as the dark background.
    let code = qr
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    io::out(&code)?;
    io::out(&sheet.url)?;
    io::out(&valid_line(sheet))
}
