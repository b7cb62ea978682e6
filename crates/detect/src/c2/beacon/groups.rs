//! `beacon_score` over many groups at once: the aggregate's
//! [`GroupsAccumulator`], which the hash aggregation uses whenever the query
//! groups (every detector query does: one group per host-server pair).
//!
//! The row-wise [`Accumulator`](datafusion::logical_expr::Accumulator) costs
//! a boxed accumulator with two vectors per group, ships each group's partial
//! state as one-row list scalars and evaluates each group into a one-row
//! struct of ten arrays: kilobytes per pair, for pairs that mostly have one to
//! three connections. Here every connection of every group is one entry of a
//! single vector, tagged with its group; a group's connections are brought
//! together only when scored (by sorting the entries on the group), and all
//! groups are scored into one struct array.
//!
//! Scores are those of [`score_series`] over the same connections, so both
//! paths give the same bits (a test holds them to it).

use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, PrimitiveArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

use super::{int64s, score_series, ScoreColumns};

/// A connection's size when it is unknown. Negative sizes count as unknown
/// too (the size part ignores both), so one sentinel stands for all of them
/// and a size costs 8 bytes instead of an `Option`'s 16.
const NO_SIZE: i64 = -1;

/// One connection of one group.
#[derive(Debug, Clone, Copy)]
struct Conn {
    group: u32,
    ts: i64,
    bytes: i64,
}

fn size_or_sentinel(bytes: Option<i64>) -> i64 {
    bytes.filter(|b| *b >= 0).unwrap_or(NO_SIZE)
}

fn sentinel_to_size(bytes: i64) -> Option<i64> {
    (bytes >= 0).then_some(bytes)
}

/// Every group's connections, and each group's view of the data set's span
/// (the first non-null `data_start` and `data_end` among its rows, as the
/// row-wise accumulator keeps it).
#[derive(Debug, Default)]
pub(super) struct BeaconGroups {
    conns: Vec<Conn>,
    data_start: Vec<Option<i64>>,
    data_end: Vec<Option<i64>>,
}

/// Connections of the emitted groups, sorted by group, and their spans.
struct Emitted {
    conns: Vec<Conn>,
    data_start: Vec<Option<i64>>,
    data_end: Vec<Option<i64>>,
}

impl Emitted {
    fn groups(&self) -> usize {
        self.data_start.len()
    }

    /// Each group's connections in turn, empty groups included, with its span.
    fn for_each_group(
        &self,
        mut f: impl FnMut(&[Conn], Option<i64>, Option<i64>) -> Result<()>,
    ) -> Result<()> {
        let mut rest = self.conns.as_slice();
        for g in 0..self.groups() {
            let n = rest.iter().take_while(|c| c.group as usize == g).count();
            let (group, tail) = rest.split_at(n);
            f(group, self.data_start[g], self.data_end[g])?;
            rest = tail;
        }
        Ok(())
    }
}

impl BeaconGroups {
    /// Makes room for `total` groups; group indices are stored as `u32`.
    fn grow(&mut self, total: usize) -> Result<()> {
        if u32::try_from(total).is_err() {
            return exec_err!(
                "beacon_score: {total} groups are more than this aggregate can index"
            );
        }
        if self.data_start.len() < total {
            self.data_start.resize(total, None);
            self.data_end.resize(total, None);
        }
        Ok(())
    }

    /// Checks that a batch is consistent before anything is taken from it:
    /// every column one value per row, every group index in range.
    fn check(&self, columns: &[&dyn Array], group_indices: &[usize]) -> Result<()> {
        if let Some(c) = columns.iter().find(|c| c.len() != group_indices.len()) {
            return exec_err!(
                "beacon_score: a column of {} rows for {} group indices",
                c.len(),
                group_indices.len()
            );
        }
        if let Some(g) = group_indices.iter().find(|g| **g >= self.data_start.len()) {
            return exec_err!(
                "beacon_score: group {g} of {} groups",
                self.data_start.len()
            );
        }
        Ok(())
    }

    fn note_span(&mut self, g: usize, start: &Int64Array, end: &Int64Array, row: usize) {
        if self.data_start[g].is_none() && start.is_valid(row) {
            self.data_start[g] = Some(start.value(row));
        }
        if self.data_end[g].is_none() && end.is_valid(row) {
            self.data_end[g] = Some(end.value(row));
        }
    }

    /// Hands over the groups `emit_to` names; with `First(n)` the groups left
    /// behind are renumbered from 0, as the aggregation expects.
    fn take(&mut self, emit_to: EmitTo) -> Emitted {
        let data_start = emit_to.take_needed(&mut self.data_start);
        let data_end = emit_to.take_needed(&mut self.data_end);
        let mut conns = match emit_to {
            EmitTo::All => std::mem::take(&mut self.conns),
            EmitTo::First(n) => {
                let (out, mut keep): (Vec<Conn>, Vec<Conn>) = std::mem::take(&mut self.conns)
                    .into_iter()
                    .partition(|c| (c.group as usize) < n);
                // n <= groups <= u32::MAX (see `grow`), and every kept group is >= n.
                let shift = n as u32;
                keep.iter_mut().for_each(|c| c.group -= shift);
                self.conns = keep;
                out
            }
        };
        conns.sort_unstable_by_key(|c| c.group);
        Emitted {
            conns,
            data_start,
            data_end,
        }
    }
}

fn filtered_out(filter: Option<&BooleanArray>, row: usize) -> bool {
    filter.is_some_and(|f| !f.is_valid(row) || !f.value(row))
}

/// The four arguments (or state columns) as Int64 arrays.
fn four(values: &[ArrayRef], what: &str) -> Result<[Int64Array; 4]> {
    let [a, b, c, d] = values else {
        return exec_err!("beacon_score: expected 4 {what}, got {}", values.len());
    };
    Ok([int64s(a)?, int64s(b)?, int64s(c)?, int64s(d)?])
}

/// A `List<Int64>` state column of one list per group.
fn list_column(
    offsets: OffsetBuffer<i32>,
    values: Int64Array,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    let field = Arc::new(Field::new_list_field(DataType::Int64, true));
    Arc::new(ListArray::new(field, offsets, Arc::new(values), nulls))
}

fn offsets_from_lengths(lengths: impl IntoIterator<Item = usize>) -> Result<OffsetBuffer<i32>> {
    let lengths: Vec<usize> = lengths.into_iter().collect();
    let total: usize = lengths.iter().sum();
    if i32::try_from(total).is_err() {
        return exec_err!("beacon_score: {total} connections are too many for one state batch");
    }
    Ok(OffsetBuffer::from_lengths(lengths))
}

impl GroupsAccumulator for BeaconGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let [ts, bytes, start, end] = four(values, "arguments")?;
        self.grow(total_num_groups)?;
        self.check(&[&ts, &bytes, &start, &end], group_indices)?;
        if let Some(f) = opt_filter.filter(|f| f.len() != group_indices.len()) {
            return exec_err!(
                "beacon_score: a filter of {} rows for {}",
                f.len(),
                group_indices.len()
            );
        }
        self.conns.reserve(ts.len() - ts.null_count());
        for (row, &g) in group_indices.iter().enumerate() {
            if filtered_out(opt_filter, row) {
                continue;
            }
            if ts.is_valid(row) {
                self.conns.push(Conn {
                    // Below total_num_groups, which fits a u32 (see `grow`).
                    group: g as u32,
                    ts: ts.value(row),
                    bytes: size_or_sentinel(bytes.is_valid(row).then(|| bytes.value(row))),
                });
            }
            self.note_span(g, &start, &end, row);
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let [ts_list, bytes_list, start, end] = values else {
            return exec_err!(
                "beacon_score: expected 4 state columns, got {}",
                values.len()
            );
        };
        let (Some(ts_list), Some(bytes_list)) = (
            ts_list.as_list_opt::<i32>(),
            bytes_list.as_list_opt::<i32>(),
        ) else {
            return exec_err!(
                "beacon_score: state is {} and {}, not lists",
                ts_list.data_type(),
                bytes_list.data_type()
            );
        };
        let (ts, bytes) = (int64s(ts_list.values())?, int64s(bytes_list.values())?);
        let (start, end) = (int64s(start)?, int64s(end)?);
        self.grow(total_num_groups)?;
        self.check(&[ts_list, bytes_list, &start, &end], group_indices)?;
        for (row, &g) in group_indices.iter().enumerate() {
            if ts_list.is_valid(row) {
                let sizes = bytes_list
                    .is_valid(row)
                    .then(|| bytes_list.value_offsets()[row] as usize);
                let size_end = bytes_list.value_offsets()[row + 1] as usize;
                let (from, to) = (
                    ts_list.value_offsets()[row] as usize,
                    ts_list.value_offsets()[row + 1] as usize,
                );
                for (k, i) in (from..to).enumerate() {
                    if !ts.is_valid(i) {
                        continue;
                    }
                    let size = sizes
                        .map(|s| s + k)
                        .filter(|j| *j < size_end && bytes.is_valid(*j))
                        .map(|j| bytes.value(j));
                    self.conns.push(Conn {
                        group: g as u32,
                        ts: ts.value(i),
                        bytes: size_or_sentinel(size),
                    });
                }
            }
            self.note_span(g, &start, &end, row);
        }
        Ok(())
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let emitted = self.take(emit_to);
        let mut lengths = vec![0usize; emitted.groups()];
        for c in &emitted.conns {
            lengths[c.group as usize] += 1;
        }
        let offsets = offsets_from_lengths(lengths)?;
        let ts: Int64Array = emitted.conns.iter().map(|c| c.ts).collect();
        let bytes: Int64Array = emitted
            .conns
            .iter()
            .map(|c| sentinel_to_size(c.bytes))
            .collect();
        Ok(vec![
            list_column(offsets.clone(), ts, None),
            list_column(offsets, bytes, None),
            Arc::new(Int64Array::from(emitted.data_start)),
            Arc::new(Int64Array::from(emitted.data_end)),
        ])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let emitted = self.take(emit_to);
        let mut out = ScoreColumns::with_capacity(emitted.groups());
        let (mut ts, mut bytes) = (Vec::new(), Vec::new());
        emitted.for_each_group(|group, start, end| {
            ts.clear();
            bytes.clear();
            ts.extend(group.iter().map(|c| c.ts));
            bytes.extend(group.iter().map(|c| sentinel_to_size(c.bytes)));
            let (start, end) = match (start, end) {
                (Some(s), Some(e)) => (s, e),
                _ => (0, 0),
            };
            out.append(&score_series(&ts, &bytes, start, end));
            Ok(())
        })?;
        Ok(Arc::new(out.finish()?))
    }

    /// Each input row as the state of a group of its own: a one-element list
    /// when it has a timestamp and passes the filter, an empty list when it
    /// has none, and no span when it is filtered out.
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let [ts, bytes, start, end] = four(values, "arguments")?;
        let rows = ts.len();
        let filter_rows = opt_filter.map_or(rows, |f| f.len());
        if [bytes.len(), start.len(), end.len(), filter_rows]
            .iter()
            .any(|n| *n != rows)
        {
            return exec_err!("beacon_score: arguments of different lengths");
        }
        let kept = |row: usize| !filtered_out(opt_filter, row);
        let counted = |row: usize| kept(row) && ts.is_valid(row);
        let offsets = offsets_from_lengths((0..rows).map(|r| usize::from(counted(r))))?;
        let ts_values: Int64Array = (0..rows)
            .filter(|r| counted(*r))
            .map(|r| ts.value(r))
            .collect();
        let size_values: Int64Array = (0..rows)
            .filter(|r| counted(*r))
            .map(|r| sentinel_to_size(size_or_sentinel(bytes.is_valid(r).then(|| bytes.value(r)))))
            .collect();
        let span = |a: &Int64Array| -> ArrayRef {
            let kept: PrimitiveArray<Int64Type> = (0..rows)
                .map(|r| (kept(r) && a.is_valid(r)).then(|| a.value(r)))
                .collect();
            Arc::new(kept)
        };
        Ok(vec![
            list_column(offsets.clone(), ts_values, None),
            list_column(offsets, size_values, None),
            span(&start),
            span(&end),
        ])
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.conns.capacity() * size_of::<Conn>()
            + (self.data_start.capacity() + self.data_end.capacity()) * size_of::<Option<i64>>()
    }
}
