//! Patching a plan file's text from the old plan to the new: only the values that changed,
//! routes and catalog entries added in a sibling's style, removed ones cut out whole.

use std::collections::BTreeMap;

use edgecost_pricing::Decimal;
use saphyr_parser::ScalarStyle;

use crate::plan::{Middleware, Plan, Route};

use super::tree::*;

pub(super) struct Patch<'t> {
    text: &'t str,
    newline: &'static str,
    edits: Vec<(usize, usize, String)>,
}

impl<'t> Patch<'t> {
    fn replace(&mut self, start: usize, end: usize, with: String) {
        self.edits.push((start, end, with));
    }

    fn line_start(&self, at: usize) -> usize {
        self.text[..at].rfind('\n').map_or(0, |i| i + 1)
    }

    /// Just past the line break of the line holding `at` (or the end of the text).
    fn line_end(&self, at: usize) -> usize {
        self.text[at..].find('\n').map_or(self.text.len(), |i| at + i + 1)
    }

    fn column(&self, at: usize) -> usize {
        at - self.line_start(at)
    }

    /// The edits inside `start..end` applied to that part of the text; `None` when an edit
    /// straddles its edge.
    fn apply(&self, start: usize, end: usize) -> Option<String> {
        let mut edits: Vec<&(usize, usize, String)> = self.edits.iter().filter(|(s, e, _)| *s >= start && *e <= end).collect();
        if self.edits.iter().any(|(s, e, _)| (*s < start && *e > start) || (*s < end && *e > end)) {
            return None;
        }
        edits.sort_by_key(|(s, e, _)| (*s, *e));
        let mut out = String::with_capacity(end - start);
        let mut at = start;
        for (s, e, with) in edits {
            if *s < at {
                return None;
            }
            out.push_str(&self.text[at..*s]);
            out.push_str(with);
            at = *e;
        }
        out.push_str(&self.text[at..end]);
        Some(out)
    }

    fn set_string(&mut self, node: &Node, value: &str, in_flow: bool) {
        if node.scalar() != Some(value) {
            self.replace(node.start, node.end, string_text(value, node.style(), in_flow));
        }
    }

    fn set_number(&mut self, node: &Node, value: Decimal) {
        self.replace(node.start, node.end, number_text(value, node.style()));
    }

    /// Adds `key: value` to a map, after its last entry, in the map's style. `value` may span
    /// lines already indented for a block map.
    fn insert_entry(&mut self, map: &Node, key: &str, value: &str) -> Option<()> {
        let entries = map.entries()?;
        let key = string_text(key, ScalarStyle::Plain, map.flow);
        match entries.last() {
            None if map.flow => self.replace(map.start, map.end, format!("{{{key}: {value}}}")),
            None => return None,
            Some((_, last)) if map.flow => self.replace(last.end, last.end, format!(", {key}: {value}")),
            Some((first, last)) => {
                let indent = " ".repeat(self.column(first.start));
                let at = self.line_end(last.end);
                let lead = if self.text[..at].ends_with('\n') { "" } else { self.newline };
                self.replace(at, at, format!("{lead}{indent}{key}: {value}{}", self.newline));
            }
        }
        Some(())
    }

    /// Removes a map's entry: its lines in a block map, the entry and one comma in a flow map.
    fn remove_entry(&mut self, map: &Node, key: &str) -> Option<()> {
        let entries = map.entries()?;
        let i = entries.iter().position(|(k, _)| k.scalar() == Some(key))?;
        let (k, v) = &entries[i];
        if !map.flow {
            let start = self.line_start(k.start);
            // Only whole lines of this entry: nothing else may share them.
            if !self.text[start..k.start].trim().is_empty() {
                return None;
            }
            self.replace(start, self.line_end(v.end), String::new());
        } else if entries.len() == 1 {
            self.replace(map.start, map.end, "{}".into());
        } else if i == 0 {
            self.replace(k.start, entries[1].0.start, String::new());
        } else {
            self.replace(entries[i - 1].1.end, v.end, String::new());
        }
        Some(())
    }
}

/// The text of `new` as patches to `text`, which holds `old`; `None` when the layout is one
/// the patcher does not handle.
pub(super) fn patch(text: &str, old: &Plan, new: &Plan) -> Option<String> {
    let root = tree(text)?;
    root.entries()?;
    let mut p = Patch { text, newline: if text.contains("\r\n") { "\r\n" } else { "\n" }, edits: Vec::new() };
    if old.tier != new.tier {
        p.set_string(&root.get("tier")?.1, &new.tier, root.flow);
    }
    if old.regions != new.regions {
        shares(&mut p, &root.get("regions")?.1, &old.regions, &new.regions)?;
    }
    if old.routes != new.routes {
        match root.get("routes") {
            // No routes left: the key goes (routes default to none).
            Some(_) if new.routes.is_empty() => p.remove_entry(&root, "routes")?,
            Some((_, seq)) if seq.items().is_some_and(|i| !i.is_empty()) => routes(&mut p, seq, &old.routes, &new.routes)?,
            _ => return None,
        }
    }
    if old.middleware != new.middleware {
        match root.get("middleware") {
            Some(_) if new.middleware.is_empty() => p.remove_entry(&root, "middleware")?,
            Some((_, map)) => catalog(&mut p, map, &old.middleware, &new.middleware)?,
            None => {
                let value = format!(
                    "{{{}}}",
                    new.middleware.iter().map(|(n, m)| format!("{n}: {}", middleware_flow(m))).collect::<Vec<_>>().join(", ")
                );
                p.insert_entry(&root, "middleware", &value)?;
            }
        }
    }
    if old.growth != new.growth {
        match (&new.growth, root.get("growth")) {
            (Some(g), Some((_, map))) => p.set_number(&map.get("monthly_percent")?.1, g.monthly_percent),
            (None, Some(_)) => p.remove_entry(&root, "growth")?,
            (Some(g), None) => {
                p.insert_entry(&root, "growth", &format!("{{monthly_percent: {}}}", number_text(g.monthly_percent, ScalarStyle::Plain)))?
            }
            (None, None) => {}
        }
    }
    p.apply(0, text.len())
}

/// Region shares: each changed share in place when the regions are the same, else the whole
/// map anew in its style.
pub(super) fn shares(p: &mut Patch, map: &Node, old: &BTreeMap<String, Decimal>, new: &BTreeMap<String, Decimal>) -> Option<()> {
    let entries = map.entries()?;
    if old.keys().eq(new.keys()) && entries.len() == new.len() {
        for (k, v) in entries {
            let share = *new.get(k.scalar()?)?;
            if old.get(k.scalar()?) != Some(&share) {
                p.set_number(v, share);
            }
        }
        return Some(());
    }
    if map.flow {
        p.replace(map.start, map.end, shares_text(new));
    } else {
        let indent = " ".repeat(p.column(map.start));
        let lines: Vec<String> = new
            .iter()
            .map(|(r, s)| format!("{}: {}", string_text(r, ScalarStyle::Plain, false), number_text(*s, ScalarStyle::Plain)))
            .collect();
        p.replace(map.start, map.end, lines.join(&format!("{}{indent}", p.newline)));
    }
    Some(())
}

/// Where a route of the new plan comes from.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Source {
    Old(usize),
    Fresh,
}

/// Pairs new routes with old ones: by path, then a renamed route by its place.
pub(super) fn sources(old: &[Route], new: &[Route]) -> Vec<Source> {
    let by_path: std::collections::HashMap<&str, usize> = old.iter().enumerate().map(|(i, r)| (r.path.as_str(), i)).collect();
    let mut taken = vec![false; old.len()];
    let mut out: Vec<Source> = new
        .iter()
        .map(|r| match by_path.get(r.path.as_str()) {
            Some(&i) => {
                taken[i] = true;
                Source::Old(i)
            }
            None => Source::Fresh,
        })
        .collect();
    for (i, s) in out.iter_mut().enumerate() {
        if *s == Source::Fresh && i < old.len() && !taken[i] {
            taken[i] = true;
            *s = Source::Old(i);
        }
    }
    out
}

/// The routes as a block sequence rebuilt from the old items' text (each with the comment and
/// blank lines above it), patched, in the new order, with new routes in a sibling's style.
/// Nothing of a kept route is rewritten but its changed values.
pub(super) fn routes(p: &mut Patch, seq: &Node, old: &[Route], new: &[Route]) -> Option<()> {
    let items = seq.items()?;
    if items.len() != old.len() {
        return None;
    }
    let sources = sources(old, new);
    if seq.flow {
        // Flow lists are patched only route by route in place.
        if new.len() != old.len() || sources.iter().enumerate().any(|(i, s)| *s != Source::Old(i)) {
            return None;
        }
        for (i, route) in new.iter().enumerate() {
            route_fields(p, &items[i], &old[i], route)?;
        }
        return Some(());
    }
    for (i, s) in sources.iter().enumerate() {
        if let Source::Old(j) = s {
            route_fields(p, &items[*j], &old[*j], &new[i])?;
        }
    }
    // Item j's text: from the end of item j - 1's last line (so comments above travel with it).
    let first = p.line_start(items[0].start);
    let ends: Vec<usize> = items.iter().map(|n| p.line_end(n.end)).collect();
    let block = |j: usize| if j == 0 { first } else { ends[j - 1] }..ends[j];
    let region_end = *ends.last()?;
    let sibling = &items[0];
    let mut out = String::new();
    for (i, s) in sources.iter().enumerate() {
        let part = match s {
            Source::Old(j) => p.apply(block(*j).start, block(*j).end)?,
            Source::Fresh => fresh_route(p, sibling, &new[i])?,
        };
        out.push_str(&part);
        if !out.ends_with('\n') {
            out.push_str(p.newline);
        }
    }
    if !p.text[..region_end].ends_with('\n') && out.ends_with('\n') {
        out.truncate(out.len() - p.newline.len());
    }
    p.edits.retain(|(s, e, _)| !(*s >= first && *e <= region_end));
    p.replace(first, region_end, out);
    Some(())
}

/// One route's values, patched in place.
pub(super) fn route_fields(p: &mut Patch, map: &Node, old: &Route, new: &Route) -> Option<()> {
    if old == new {
        return Some(());
    }
    let flow = map.flow;
    p.set_string(&map.get("path")?.1, &new.path, flow);
    // Traffic: a changed unit renames the key in place.
    for (key, other, value) in [
        ("requests_per_month", "requests_per_second", new.requests_per_month),
        ("requests_per_second", "requests_per_month", new.requests_per_second),
    ] {
        let Some(value) = value else { continue };
        match (map.get(key), map.get(other)) {
            (Some((_, v)), _) => {
                if old_value(old, key) != Some(value) {
                    p.set_number(v, value);
                }
            }
            (None, Some((k, v))) => {
                p.replace(k.start, k.end, key.to_owned());
                p.set_number(v, value);
            }
            (None, None) => p.insert_entry(map, key, &number_text(value, ScalarStyle::Plain))?,
        }
    }
    for (key, was, value) in [("compute_ms", old.compute_ms, new.compute_ms), ("response_bytes", old.response_bytes, new.response_bytes)] {
        if was != value {
            match map.get(key) {
                Some((_, v)) => p.set_number(v, value),
                None => p.insert_entry(map, key, &number_text(value, ScalarStyle::Plain))?,
            }
        }
    }
    if old.middleware != new.middleware {
        match map.get("middleware") {
            Some((_, seq)) if seq.flow => p.replace(seq.start, seq.end, list_text(&new.middleware)),
            Some(_) if new.middleware.is_empty() => p.remove_entry(map, "middleware")?,
            Some((_, seq)) => {
                let items = seq.items()?;
                let dash = p.line_start(items.first()?.start);
                let indent = &p.text[dash..items.first()?.start];
                if indent.trim() != "-" {
                    return None;
                }
                let names: Vec<String> = new.middleware.iter().map(|m| string_text(m, ScalarStyle::Plain, false)).collect();
                let with = names.join(&format!("{}{indent}", p.newline));
                p.replace(seq.start, seq.end, with);
            }
            None => p.insert_entry(map, "middleware", &list_text(&new.middleware))?,
        }
    }
    if old.regions != new.regions {
        match (&new.regions, map.get("regions")) {
            (Some(shares_new), Some((_, node))) => shares(p, node, old.regions.as_ref()?, shares_new)?,
            (Some(shares_new), None) => p.insert_entry(map, "regions", &shares_text(shares_new))?,
            (None, Some(_)) => p.remove_entry(map, "regions")?,
            (None, None) => {}
        }
    }
    Some(())
}

pub(super) fn old_value(route: &Route, key: &str) -> Option<Decimal> {
    if key == "requests_per_month" { route.requests_per_month } else { route.requests_per_second }
}

/// A new route's lines in the style of `sibling`: its indentation, flow or block, its key
/// order, and its middleware list's style.
pub(super) fn fresh_route(p: &Patch, sibling: &Node, route: &Route) -> Option<String> {
    let entries = sibling.entries()?;
    let dash_at = p.line_start(sibling.start);
    let lead = &p.text[dash_at..sibling.start];
    if lead.trim() != "-" {
        return None;
    }
    let mut fields: Vec<(&str, String)> = Vec::new();
    fields.push(("path", string_text(&route.path, ScalarStyle::Plain, sibling.flow)));
    if let Some(v) = route.requests_per_month {
        fields.push(("requests_per_month", number_text(v, ScalarStyle::Plain)));
    }
    if let Some(v) = route.requests_per_second {
        fields.push(("requests_per_second", number_text(v, ScalarStyle::Plain)));
    }
    fields.push(("compute_ms", number_text(route.compute_ms, ScalarStyle::Plain)));
    fields.push(("response_bytes", number_text(route.response_bytes, ScalarStyle::Plain)));
    let block_list = sibling.get("middleware").is_some_and(|(_, m)| !m.flow);
    let item_indent = " ".repeat(p.column(sibling.start));
    if !route.middleware.is_empty() {
        let list = if block_list && !sibling.flow {
            let dash = sibling
                .get("middleware")
                .and_then(|(_, m)| m.items()?.first().map(|f| p.text[p.line_start(f.start)..f.start].to_owned()))?;
            let names: Vec<String> =
                route.middleware.iter().map(|m| format!("{dash}{}", string_text(m, ScalarStyle::Plain, false))).collect();
            format!("{}{}", p.newline, names.join(p.newline))
        } else {
            list_text(&route.middleware)
        };
        fields.push(("middleware", list));
    }
    if let Some(r) = &route.regions {
        fields.push(("regions", shares_text(r)));
    }
    // The sibling's key order first, then any key it lacks.
    let order: Vec<&str> = entries.iter().filter_map(|(k, _)| k.scalar()).collect();
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    fields.sort_by_key(|(k, _)| rank(k));
    if sibling.flow {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        return Some(format!("{lead}{{{}}}{}", body.join(", "), p.newline));
    }
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        let sep = if v.starts_with(p.newline) { ":" } else { ": " };
        let at = if i == 0 { lead.to_owned() } else { item_indent.clone() };
        out.push_str(&format!("{at}{k}{sep}{v}{}", p.newline));
    }
    Some(out)
}

/// A catalog entry as a flow map: `{compute_ms: 1, egress_ratio: 0.5}`.
pub(super) fn middleware_flow(m: &Middleware) -> String {
    let mut parts = vec![format!("compute_ms: {}", number_text(m.compute_ms, ScalarStyle::Plain))];
    if let Some(v) = m.egress_ratio {
        parts.push(format!("egress_ratio: {}", number_text(v, ScalarStyle::Plain)));
    }
    if let Some(v) = m.hit_ratio {
        parts.push(format!("hit_ratio: {}", number_text(v, ScalarStyle::Plain)));
    }
    format!("{{{}}}", parts.join(", "))
}

/// The middleware catalog: changed fields in place, removed entries' lines out, new entries
/// after the last one in a sibling's style.
pub(super) fn catalog(p: &mut Patch, map: &Node, old: &BTreeMap<String, Middleware>, new: &BTreeMap<String, Middleware>) -> Option<()> {
    for name in old.keys().filter(|n| !new.contains_key(*n)) {
        p.remove_entry(map, name)?;
    }
    let block_values = map.entries()?.first().is_some_and(|(_, v)| !v.flow);
    for (name, m) in new {
        match (old.get(name), map.get(name)) {
            (Some(was), Some((_, node))) if was != m => middleware_fields(p, node, was, m)?,
            (Some(_), Some(_)) => {}
            (None, _) if block_values && !map.flow => {
                let (first, _) = map.entries()?.first()?;
                let indent = " ".repeat(p.column(first.start) + 2);
                let mut value = format!("{}{indent}compute_ms: {}", p.newline, number_text(m.compute_ms, ScalarStyle::Plain));
                for (k, v) in [("egress_ratio", m.egress_ratio), ("hit_ratio", m.hit_ratio)] {
                    if let Some(v) = v {
                        value.push_str(&format!("{}{indent}{k}: {}", p.newline, number_text(v, ScalarStyle::Plain)));
                    }
                }
                let key = string_text(name, ScalarStyle::Plain, false);
                let at = p.line_end(map.end);
                let lead = if p.text[..at].ends_with('\n') { "" } else { p.newline };
                let outer = " ".repeat(p.column(first.start));
                p.replace(at, at, format!("{lead}{outer}{key}:{value}{}", p.newline));
            }
            (None, _) => p.insert_entry(map, name, &middleware_flow(m))?,
            (Some(_), None) => return None,
        }
    }
    Some(())
}

pub(super) fn middleware_fields(p: &mut Patch, map: &Node, old: &Middleware, new: &Middleware) -> Option<()> {
    if old.compute_ms != new.compute_ms {
        match map.get("compute_ms") {
            Some((_, v)) => p.set_number(v, new.compute_ms),
            None => p.insert_entry(map, "compute_ms", &number_text(new.compute_ms, ScalarStyle::Plain))?,
        }
    }
    for (key, was, value) in [("egress_ratio", old.egress_ratio, new.egress_ratio), ("hit_ratio", old.hit_ratio, new.hit_ratio)] {
        if was == value {
            continue;
        }
        match (value, map.get(key)) {
            (Some(v), Some((_, node))) => p.set_number(node, v),
            (Some(v), None) => p.insert_entry(map, key, &number_text(v, ScalarStyle::Plain))?,
            (None, Some(_)) => p.remove_entry(map, key)?,
            (None, None) => {}
        }
    }
    Some(())
}
