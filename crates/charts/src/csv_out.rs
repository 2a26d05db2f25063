//! CSV export (RFC 4180: comma separated, CRLF line ends, fields quoted when they must be).

use crate::error::ChartError;

/// A CSV document being written, header first.
pub(crate) struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        let writer =
            csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).quote_style(csv::QuoteStyle::Necessary).from_writer(Vec::new());
        let mut table = Table { writer };
        // Writing into memory cannot fail; a failure would surface again in `finish`.
        let _ = table.writer.write_record(header);
        table
    }

    pub fn row(&mut self, fields: &[&str]) -> Result<(), ChartError> {
        self.writer.write_record(fields).map_err(|e| ChartError::Csv { reason: e.to_string() })
    }

    pub fn finish(self) -> Result<String, ChartError> {
        let bytes = self.writer.into_inner().map_err(|e| ChartError::Csv { reason: e.to_string() })?;
        String::from_utf8(bytes).map_err(|e| ChartError::Csv { reason: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut table = Table::new(&["route", "cost"]);
        table.row(&["/v1/a,b", "1.00"]).unwrap();
        table.row(&["say \"hi\"", "2.00"]).unwrap();
        table.row(&["line\nbreak", "3.00"]).unwrap();
        assert_eq!(table.finish().unwrap(), "route,cost\r\n\"/v1/a,b\",1.00\r\n\"say \"\"hi\"\"\",2.00\r\n\"line\nbreak\",3.00\r\n");
    }
}
