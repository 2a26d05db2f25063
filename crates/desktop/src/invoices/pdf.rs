//! An invoice as a one-file PDF: the same lines as the invoice view, in the PDF base fonts, on
//! as many A4 pages as it needs.

use super::*;

/// The invoice as a PDF of A4 pages in the PDF base font Helvetica (nothing embedded; the
/// text is selectable and searchable).
pub fn invoice_pdf(detail: &InvoiceDetailView, account_label: &str) -> Vec<u8> {
    let mut page = PageText::default();
    let r = &detail.row;
    page.text(50.0, 20.0, Font::Bold, &format!("Invoice {}", r.number));
    page.gap(10.0);
    page.text(50.0, 11.0, Font::Regular, account_label);
    let days = &r.period_days;
    let period = if *days == r.period { days.clone() } else { format!("{} ({days}, UTC)", r.period) };
    page.text(50.0, 11.0, Font::Regular, &format!("Period: {period}"));
    page.text(50.0, 11.0, Font::Regular, &format!("Tier: {}", r.tier));
    page.text(50.0, 11.0, Font::Regular, &format!("Issued: {}", detail.issued_at.replace('T', " ").replace('Z', " UTC")));
    page.text(50.0, 11.0, Font::Regular, &format!("Status: {}", r.status_dated));
    page.text(50.0, 9.0, Font::Regular, &detail.usage.replace('·', "-"));
    page.gap(12.0);
    page.columns(Font::Bold, 10.0, ["Description", "Quantity", "Unit", "Amount"]);
    page.rule();
    for l in &detail.lines {
        let font = if l.kind == "total" { Font::Bold } else { Font::Regular };
        if l.kind == "total" {
            page.rule();
        }
        page.columns(font, 10.0, [&l.description, &l.quantity, &l.unit, &l.amount]);
        let mut detail_text = l.explanation.clone();
        if !l.rate.is_empty() {
            detail_text = format!("{detail_text} (rate {})", l.rate);
        }
        for chunk in wrap(&detail_text, 100) {
            page.text(62.0, 8.0, Font::Regular, &chunk);
        }
        page.gap(4.0);
    }
    page.gap(12.0);
    page.text(50.0, 12.0, Font::Bold, &format!("Cost {}   Paid by credit {}   Total due {}", r.cost, r.paid_by_credit, r.total));
    if !detail.payments.is_empty() {
        page.gap(12.0);
        page.text(50.0, 11.0, Font::Bold, &format!("Payments: {} paid of {}", r.amount_paid, r.total));
        for p in &detail.payments {
            page.columns(Font::Regular, 10.0, [&format!("Received {}", p.received), &p.reference, "", &p.amount]);
        }
    }
    page.render(&format!("Invoice {}", r.number))
}

/// Splits `text` at spaces into lines of at most `width` characters (a longer word stays whole).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

pub(super) const PAGE_WIDTH_PT: f32 = 595.0;
pub(super) const PAGE_HEIGHT_PT: f32 = 842.0;
pub(super) const MARGIN_PT: f32 = 50.0;
/// x of the quantity and unit columns, and the right edge of the amount column.
pub(super) const QUANTITY_X_PT: f32 = 300.0;
pub(super) const UNIT_X_PT: f32 = 390.0;
pub(super) const AMOUNT_RIGHT_PT: f32 = PAGE_WIDTH_PT - MARGIN_PT;
/// Pages of a long invoice; every invoice fits in a few (it has at most a handful of lines).
pub(super) const PAGES_MAX: usize = 50;

pub(super) enum Op {
    Text { x: f32, y: f32, size: f32, font: Font, text: Vec<u8> },
    Rule { y: f32 },
}

/// Text laid out top-down onto pages.
pub(super) struct PageText {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Default for PageText {
    fn default() -> Self {
        PageText { pages: vec![Vec::new()], y: PAGE_HEIGHT_PT - MARGIN_PT }
    }
}

impl PageText {
    fn advance(&mut self, height: f32) {
        if self.y - height < MARGIN_PT && self.pages.len() < PAGES_MAX {
            self.pages.push(Vec::new());
            self.y = PAGE_HEIGHT_PT - MARGIN_PT;
        }
        self.y -= height;
    }

    fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page always exists").push(op);
    }

    fn text(&mut self, x: f32, size: f32, font: Font, text: &str) {
        self.advance(size * 1.35);
        let y = self.y;
        self.push(Op::Text { x, y, size, font, text: win_ansi(text) });
    }

    fn columns(&mut self, font: Font, size: f32, cells: [&str; 4]) {
        self.advance(size * 1.5);
        let y = self.y;
        let [description, qty, unit, amount] = cells;
        self.push(Op::Text { x: MARGIN_PT, y, size, font, text: win_ansi(description) });
        let qty_right = UNIT_X_PT - 12.0;
        self.push(Op::Text { x: qty_right.max(QUANTITY_X_PT) - text_width(qty, size), y, size, font, text: win_ansi(qty) });
        self.push(Op::Text { x: UNIT_X_PT, y, size, font, text: win_ansi(unit) });
        self.push(Op::Text { x: AMOUNT_RIGHT_PT - text_width(amount, size), y, size, font, text: win_ansi(amount) });
    }

    fn rule(&mut self) {
        self.advance(4.0);
        let y = self.y;
        self.push(Op::Rule { y });
    }

    fn render(self, title: &str) -> Vec<u8> {
        use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first_page = 6;
        let page_ids: Vec<Ref> = (0..self.pages.len()).map(|n| Ref::new(first_page + 2 * n as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
        pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info).title(TextStr(title)).producer(TextStr("edgecost"));
        for (ops, page_id) in self.pages.iter().zip(&page_ids) {
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT)).parent(tree).contents(content_id);
            {
                let mut resources = page.resources();
                resources.fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
            }
            page.finish();
            let mut content = Content::new();
            for op in ops {
                match op {
                    Op::Text { x, y, size, font, text } => {
                        let name = if *font == Font::Bold { Name(b"F2") } else { Name(b"F1") };
                        content.begin_text().set_font(name, *size).next_line(*x, *y).show(pdf_writer::Str(text)).end_text();
                    }
                    Op::Rule { y } => {
                        content.set_line_width(0.5).move_to(MARGIN_PT, *y).line_to(PAGE_WIDTH_PT - MARGIN_PT, *y).stroke();
                    }
                }
            }
            pdf.stream(content_id, &content.finish().into_vec());
        }
        pdf.finish()
    }
}

/// Text in the base fonts' WinAnsi encoding: ASCII and Latin-1 as they are, a few typographic
/// marks mapped, anything else as `?`.
pub(super) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

/// The width of `text` in Helvetica at `size` points, for right-aligned amounts. Digits, `$`
/// and most letters are close to 0.556 em; the narrow marks are 0.278 em.
pub(super) fn text_width(text: &str, size: f32) -> f32 {
    let em: f32 = text
        .chars()
        .map(|c| match c {
            ',' | '.' | ' ' | 'i' | 'l' | 'j' | 'f' | 't' | 'I' => 0.278,
            '-' => 0.333,
            'm' | 'w' | 'M' | 'W' => 0.833,
            _ => 0.556,
        })
        .sum();
    em * size
}
