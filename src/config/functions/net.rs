//! CIDR functions for IPv4 and IPv6, done in 128-bit integer arithmetic over `std::net`.

use super::{Args, FnContext};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use terrane_provider::Value;

type R = Result<Value, String>;

/// A parsed prefix: the address as an integer, the address width, and the prefix length.
#[derive(Clone, Copy)]
struct Net {
    addr: u128,
    bits: u32,
    len: u32,
}

fn ones(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

impl Net {
    fn host_mask(&self, len: u32) -> u128 {
        ones(self.bits - len)
    }
    fn net_mask(&self, len: u32) -> u128 {
        ones(self.bits) & !self.host_mask(len)
    }
    fn network(&self) -> u128 {
        self.addr & self.net_mask(self.len)
    }
    fn addr_text(&self, addr: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }
    fn family(&self) -> &'static str {
        if self.bits == 32 {
            "IPv4"
        } else {
            "IPv6"
        }
    }
}

fn parse(a: &Args, i: usize) -> Result<Net, String> {
    let s = a.str(i)?;
    let bad = || a.arg_err(i, &format!("invalid CIDR address: {s}"));
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let (addr, bits) = match ip.parse::<IpAddr>().map_err(|_| bad())? {
        IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    };
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let len: u32 = len.parse().map_err(|_| bad())?;
    if len > bits {
        return Err(bad());
    }
    Ok(Net { addr, bits, len })
}

pub(super) fn cidrsubnet(a: &Args, _: &FnContext) -> R {
    let net = parse(a, 0)?;
    let newbits = a.int(1)?;
    let netnum = a.int(2)?;
    if newbits < 0 {
        return Err(a.arg_err(1, "newbits must not be negative"));
    }
    if netnum < 0 {
        return Err(a.arg_err(2, "netnum must not be negative"));
    }
    let new_len = net.len as i64 + newbits;
    if new_len > net.bits as i64 {
        return Err(a.fail(&format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.len
        )));
    }
    let new_len = new_len as u32;
    let netnum = netnum as u128;
    if netnum > ones(newbits as u32) {
        return Err(a.fail(&format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let shifted = if netnum == 0 {
        0
    } else {
        netnum << (net.bits - new_len)
    };
    let addr = net.network() | shifted;
    Ok(Value::String(format!("{}/{new_len}", net.addr_text(addr))))
}

pub(super) fn cidrhost(a: &Args, _: &FnContext) -> R {
    let net = parse(a, 0)?;
    let hostnum = a.int(1)?;
    let host_bits = net.bits - net.len;
    let max = ones(host_bits);
    let bad = || {
        a.fail(&format!(
            "prefix of {} does not accommodate a host numbered {hostnum}",
            net.len
        ))
    };
    let host = if hostnum >= 0 {
        hostnum as u128
    } else {
        // Negative numbers count back from the end of the range: -1 is the last address.
        let back = hostnum.unsigned_abs() as u128;
        if back - 1 > max {
            return Err(bad());
        }
        max - (back - 1)
    };
    if host > max {
        return Err(bad());
    }
    Ok(Value::String(net.addr_text(net.network() | host)))
}

pub(super) fn cidrnetmask(a: &Args, _: &FnContext) -> R {
    let net = parse(a, 0)?;
    if net.bits != 32 {
        return Err(a.arg_err(
            0,
            &format!("IPv6 addresses cannot have a netmask: {}", a.str(0)?),
        ));
    }
    Ok(Value::String(net.addr_text(net.net_mask(net.len))))
}

pub(super) fn cidrsubnets(a: &Args, _: &FnContext) -> R {
    let net = parse(a, 0)?;
    let base = net.network();
    let mut out = Vec::new();
    // (address, prefix length) of the subnet allocated last.
    let mut current: Option<(u128, u32)> = None;
    for i in 1..a.len() {
        let newbits = a.int(i)?;
        if newbits < 1 {
            return Err(a.arg_err(i, "must extend prefix by at least one bit"));
        }
        let len = net.len as i64 + newbits;
        if len > net.bits as i64 {
            return Err(a.arg_err(
                i,
                &format!(
                    "would extend prefix to {len} bits, which is too long for an {} address",
                    net.family()
                ),
            ));
        }
        let len = len as u32;
        let addr = match current {
            None => base,
            Some((cur, cur_len)) => {
                // The next aligned block of size `len` after the end of the current subnet.
                let cur_last = cur | net.host_mask(cur_len);
                let block_last = (cur_last & net.net_mask(len)) | net.host_mask(len);
                let after = block_last.wrapping_add(1) & ones(net.bits);
                let next = after & net.net_mask(len);
                if after == 0 || next & net.net_mask(net.len) != base {
                    return Err(a.arg_err(
                        i,
                        &format!(
                            "not enough remaining address space for a subnet with a prefix of {len} bits after {}/{cur_len}",
                            net.addr_text(cur)
                        ),
                    ));
                }
                next
            }
        };
        out.push(Value::String(format!("{}/{len}", net.addr_text(addr))));
        current = Some((addr, len));
    }
    Ok(Value::List(out))
}
