//! The one rule for thousands separators in numbers people write (docs/billing-rules.md,
//! "Numbers as you type them"), shared by the quantity reader and the decimal reader of price
//! books: a comma, an underscore or a space groups the thousands of the integer part and
//! nothing else.

use std::borrow::Cow;

/// The characters that may group thousands.
pub(crate) const SEPARATORS: [char; 3] = [',', '_', ' '];

/// How a number's separators break the grouping rule, before the text is attached.
pub(crate) enum Grouping {
    DecimalComma(String),
    Misgrouped(char),
    InFraction(char),
    Mixed,
}

/// `number` (a sign, digits, a fraction, an exponent; no suffix) with its thousands
/// separators taken out, or how they break the rule. Text that is no number at all (`12
/// apples`) is returned as it is, for the decimal parser to refuse.
pub(crate) fn ungroup(number: &str) -> Result<Cow<'_, str>, Grouping> {
    if !number.contains(SEPARATORS) {
        return Ok(Cow::Borrowed(number));
    }
    let unsigned = number.trim_start_matches(['-', '+']);
    let sign = &number[..number.len() - unsigned.len()];
    let mantissa_end = unsigned.find(['e', 'E']).unwrap_or(unsigned.len());
    let (mantissa, exponent) = unsigned.split_at(mantissa_end);
    let (integer, fraction) = mantissa.split_once('.').map_or((mantissa, None), |(i, f)| (i, Some(f)));
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // A word among the digits makes this no number; that is the decimal parser's message.
    let words = |s: &str| s.split(SEPARATORS).any(|part| !part.is_empty() && !is_digits(part));
    let exponent_digits = exponent.get(1..).unwrap_or("").trim_start_matches(['-', '+']);
    // An `e` without digits after it is no exponent (`1,5e`): no number either.
    let bare_exponent = !exponent.is_empty() && exponent_digits.is_empty();
    if words(integer) || fraction.is_some_and(words) || words(exponent_digits) || bare_exponent {
        return Ok(Cow::Borrowed(number));
    }
    if let Some(separator) = fraction.into_iter().chain([exponent]).flat_map(str::chars).find(|c| SEPARATORS.contains(c)) {
        return Err(Grouping::InFraction(separator));
    }
    let mut kinds = SEPARATORS.into_iter().filter(|s| integer.contains(*s));
    let Some(separator) = kinds.next() else {
        return Ok(Cow::Borrowed(number));
    };
    if kinds.next().is_some() {
        return Err(Grouping::Mixed);
    }
    let groups: Vec<&str> = integer.split(separator).collect();
    let first = groups[0];
    let well_grouped = (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && groups[1..].iter().all(|g| g.len() == 3 && is_digits(g))
        && is_digits(first);
    if well_grouped {
        return Ok(Cow::Owned(format!("{sign}{}{}{exponent}", groups.concat(), fraction.map_or(String::new(), |f| format!(".{f}")))));
    }
    // One comma in a number without a point, not before exactly three digits or after a
    // leading zero, can only have been meant as a decimal point (`51,5`, `0,500`).
    let decimal_comma = separator == ',' && groups.len() == 2 && fraction.is_none() && (groups[1].len() != 3 || first.starts_with('0'));
    if decimal_comma && is_digits(first) && is_digits(groups[1]) {
        return Err(Grouping::DecimalComma(format!("{sign}{first}.{}{exponent}", groups[1])));
    }
    Err(Grouping::Misgrouped(separator))
}
