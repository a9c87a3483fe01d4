//! Cortex 0.34's instance table: per region, each EC2 instance type's
//! memory, vCPUs, GPUs, Inferentia chips and on-demand price per hour.
//!
//! The data is Cortex's own (`pkg/lib/aws/resource_metadata.go` at
//! v0.34.0), kept as `data/aws-instances-cortex-0.34.csv` and compiled into
//! the binary: nothing is read at run time. The regions of this table are
//! also the regions Cortex accepts (`pkg/lib/aws/eks.go:27-32`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::values::quantity::{self, Quantity};

const TABLE: &str = include_str!("../../data/aws-instances-cortex-0.34.csv");

/// One instance type in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub region: String,
    pub instance_type: String,
    /// Nominal memory, as the table writes it (`8192Mi`).
    pub memory_text: String,
    pub memory: Quantity,
    pub cpu: i64,
    pub gpu: i64,
    pub inf: i64,
    /// On-demand price per hour in millionths of a US dollar (the table has
    /// at most six decimals, so this is exact).
    pub price_micro_usd: i64,
}

/// The whole table, parsed once.
pub struct Table {
    /// region → instance type → instance
    by_region: BTreeMap<String, BTreeMap<String, Instance>>,
}

/// The table compiled into the binary.
pub fn table() -> &'static Table {
    static TABLE_CELL: OnceLock<Table> = OnceLock::new();
    TABLE_CELL.get_or_init(|| Table::parse(TABLE))
}

impl Table {
    /// Parses the CSV (`region,instance_type,memory,cpu,gpu,inf,price`);
    /// the header and any malformed line are skipped (a test keeps the
    /// shipped file free of them).
    fn parse(text: &str) -> Self {
        let mut by_region: BTreeMap<String, BTreeMap<String, Instance>> = BTreeMap::new();
        for instance in text.lines().skip(1).filter_map(parse_line) {
            by_region
                .entry(instance.region.clone())
                .or_default()
                .insert(instance.instance_type.clone(), instance);
        }
        Self { by_region }
    }

    pub fn get(&self, region: &str, instance_type: &str) -> Option<&Instance> {
        self.by_region.get(region)?.get(instance_type)
    }

    pub fn has_region(&self, region: &str) -> bool {
        self.by_region.contains_key(region)
    }

    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.by_region.keys().map(String::as_str)
    }

    /// The type in any region (Cortex's `validateInstanceType` looks in
    /// every region before the region check).
    pub fn anywhere(&self, instance_type: &str) -> Option<&Instance> {
        self.by_region.values().find_map(|m| m.get(instance_type))
    }

    /// Every instance type name, for "did you mean".
    pub fn type_names(&self) -> BTreeSet<&str> {
        self.by_region
            .values()
            .flat_map(|m| m.keys().map(String::as_str))
            .collect()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_region.values().map(BTreeMap::len).sum()
    }
}

fn parse_line(line: &str) -> Option<Instance> {
    let fields: Vec<&str> = line.trim().split(',').collect();
    let [region, instance_type, memory, cpu, gpu, inf, price] = fields.as_slice() else {
        return None;
    };
    Some(Instance {
        region: (*region).to_owned(),
        instance_type: (*instance_type).to_owned(),
        memory_text: (*memory).to_owned(),
        memory: quantity::parse(memory).ok()?,
        cpu: cpu.parse().ok()?,
        gpu: gpu.parse().ok()?,
        inf: inf.parse().ok()?,
        price_micro_usd: micro_usd(price)?,
    })
}

/// `0.0416` → 41600, exactly.
fn micro_usd(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<6}").parse().ok()?;
    whole.checked_mul(1_000_000)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_shipped_table_parses() {
        let lines = TABLE.lines().skip(1).filter(|l| !l.trim().is_empty());
        assert_eq!(lines.count(), table().len());
        assert_eq!(table().regions().count(), 23);
    }

    #[test]
    fn rows_read_as_cortex_wrote_them() {
        // data/aws-instances-cortex-0.34.csv: us-west-2,g4dn.xlarge,16384Mi,4,1,0,0.526
        let g4 = table()
            .get("us-west-2", "g4dn.xlarge")
            .expect("in the table");
        assert_eq!((g4.cpu, g4.gpu, g4.inf), (4, 1, 0));
        assert_eq!(g4.memory, quantity::parse("16Gi").expect("quantity"));
        assert_eq!(g4.price_micro_usd, 526_000);
        assert_eq!(micro_usd("0.0416"), Some(41_600));
        assert_eq!(micro_usd("13.338"), Some(13_338_000));
        assert!(table().get("us-west-2", "m5.huge").is_none());
        assert!(table().anywhere("m5.large").is_some());
    }
}
