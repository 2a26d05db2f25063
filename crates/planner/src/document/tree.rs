//! The plan file as a tree of YAML nodes with their positions in the text, and how values are
//! written in the style they were found in.

use std::collections::BTreeMap;

use edgecost_pricing::Decimal;
use saphyr_parser::{Event, Parser, ScalarStyle};

#[derive(Debug)]
pub(super) enum Kind {
    Scalar { value: String, style: ScalarStyle },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A node and where its text is: `start..end` in bytes, without surrounding blanks or comments.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    /// Written in flow style (`[a, b]`, `{a: 1}`); scalars are never flow.
    pub(super) flow: bool,
}

impl Node {
    pub(super) fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(e) => Some(e),
            _ => None,
        }
    }
    pub(super) fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(i) => Some(i),
            _ => None,
        }
    }
    pub(super) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
    pub(super) fn style(&self) -> ScalarStyle {
        match &self.kind {
            Kind::Scalar { style, .. } => *style,
            _ => ScalarStyle::Plain,
        }
    }
    /// The entry of a map by key.
    pub(super) fn get(&self, key: &str) -> Option<&(Node, Node)> {
        self.entries()?.iter().find(|(k, _)| k.scalar() == Some(key))
    }
}

/// Reads the text's single document into a tree; `None` for anything the patcher does not
/// handle (aliases, several documents, a parse error).
pub(super) fn tree(text: &str) -> Option<Node> {
    // Marker indices count characters; patches need byte offsets.
    let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    bytes.push(text.len());
    let mut events = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let start = *bytes.get(span.start.index())?;
        let end = *bytes.get(span.end.index())?;
        events.push((event, start, end));
    }
    let mut at = events.iter().skip_while(|(e, ..)| !matches!(e, Event::DocumentStart(_))).skip(1).peekable();
    let root = node(&mut at, text, 0)?;
    // One document only.
    let rest: Vec<_> = at.collect();
    rest.iter().all(|(e, ..)| matches!(e, Event::DocumentEnd | Event::StreamEnd)).then_some(root)
}

/// Nesting deeper than any plan needs is refused, which bounds the recursion.
pub(super) const DEPTH_MAX: usize = 16;

pub(super) fn node<'a, I>(events: &mut std::iter::Peekable<I>, text: &str, depth: usize) -> Option<Node>
where
    I: Iterator<Item = &'a (Event<'a>, usize, usize)>,
{
    if depth > DEPTH_MAX {
        return None;
    }
    let (event, start, end) = events.next()?;
    // A flow collection ends with its closing bracket; a block one ends with an empty span.
    let flow_at = |(open, close): (usize, usize), bracket: u8| close > open && text.as_bytes().get(close - 1) == Some(&bracket);
    match event {
        Event::Scalar(value, style, anchor, tag) if *anchor == 0 && tag.is_none() => {
            Some(Node { kind: Kind::Scalar { value: value.to_string(), style: *style }, start: *start, end: *end, flow: false })
        }
        Event::SequenceStart(anchor, tag) if *anchor == 0 && tag.is_none() => {
            let mut items: Vec<Node> = Vec::new();
            loop {
                if let Some((Event::SequenceEnd, open, close)) = events.peek() {
                    let (open, close) = (*open, *close);
                    events.next();
                    let flow = flow_at((open, close), b']');
                    let (s, e) = if flow { (*start, close) } else { (items.first()?.start, items.last()?.end) };
                    return Some(Node { kind: Kind::Seq(items), start: s, end: e, flow });
                }
                items.push(node(events, text, depth + 1)?);
            }
        }
        Event::MappingStart(anchor, tag) if *anchor == 0 && tag.is_none() => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            loop {
                if let Some((Event::MappingEnd, open, close)) = events.peek() {
                    let (open, close) = (*open, *close);
                    events.next();
                    let flow = flow_at((open, close), b'}');
                    let (s, e) = if flow { (*start, close) } else { (entries.first()?.0.start, entries.last()?.1.end) };
                    return Some(Node { kind: Kind::Map(entries), start: s, end: e, flow });
                }
                let key = node(events, text, depth + 1)?;
                let value = node(events, text, depth + 1)?;
                entries.push((key, value));
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing values in the file's own style.

/// A string as a scalar in `style`; plain only when it reads back as the same string.
pub(super) fn string_text(s: &str, style: ScalarStyle, in_flow: bool) -> String {
    match style {
        ScalarStyle::SingleQuoted => format!("'{}'", s.replace('\'', "''")),
        ScalarStyle::Plain if plain_safe(s, in_flow) => s.to_owned(),
        // A JSON string is a YAML double-quoted scalar.
        _ => serde_json::to_string(s).expect("a string serializes"),
    }
}

pub(super) fn plain_safe(s: &str, in_flow: bool) -> bool {
    let written = serde_yaml_ng::to_string(s).unwrap_or_default();
    written.trim_end_matches('\n') == s && !(in_flow && s.contains([',', '[', ']', '{', '}']))
}

/// A quantity as the file holds numbers: a plain decimal number (`350000`, even when typed as
/// `350k`), quoted when the file quoted the old value or when a plain number would not read
/// back exactly.
pub(super) fn number_text(v: Decimal, style: ScalarStyle) -> String {
    let text = v.normalize().to_string();
    match style {
        ScalarStyle::SingleQuoted => format!("'{text}'"),
        ScalarStyle::Plain if crate::quantity::plain_number_reads_back(v) => text,
        _ => format!("\"{text}\""),
    }
}

/// A list of names in flow style: `[auth, cache]`.
pub(super) fn list_text(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|m| string_text(m, ScalarStyle::Plain, true)).collect();
    format!("[{}]", items.join(", "))
}

pub(super) fn shares_text(shares: &BTreeMap<String, Decimal>) -> String {
    let entries: Vec<String> = shares
        .iter()
        .map(|(r, s)| format!("{}: {}", string_text(r, ScalarStyle::Plain, true), number_text(*s, ScalarStyle::Plain)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

// ---------------------------------------------------------------------------------------------
// The patch: replacements of byte ranges of the old text.
