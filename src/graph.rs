//! The dependency graph of resource and data source instances (petgraph). Edges point from a
//! dependency to its dependent, so a topological walk creates in the right order; cycles are
//! reported with every resource on them (Tarjan's strongly connected components).

use crate::addr::{InstanceAddr, ResourceAddr};
use crate::config::Config;
use crate::diag::Diagnostic;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::collections::{BTreeMap, HashMap};

/// Instances and the dependencies between them.
#[derive(Debug, Clone)]
pub struct Graph {
    pub graph: DiGraph<InstanceAddr, ()>,
    pub index: HashMap<InstanceAddr, NodeIndex>,
}

impl Graph {
    /// Builds the graph; a cycle is an error naming each resource on it with its location.
    pub fn build(cfg: &Config) -> Result<Graph, Vec<Diagnostic>> {
        let mut graph = DiGraph::with_capacity(cfg.instances.len(), cfg.instances.len());
        let mut index = HashMap::with_capacity(cfg.instances.len());
        let mut by_resource: BTreeMap<&ResourceAddr, Vec<NodeIndex>> = BTreeMap::new();
        for inst in &cfg.instances {
            let n = graph.add_node(inst.addr.clone());
            index.insert(inst.addr.clone(), n);
            by_resource.entry(&inst.addr.resource).or_default().push(n);
        }
        for inst in &cfg.instances {
            let to = index[&inst.addr];
            for dep in &inst.depends_on {
                for &from in by_resource.get(dep).map(Vec::as_slice).unwrap_or(&[]) {
                    if from != to {
                        graph.update_edge(from, to, ());
                    }
                }
            }
        }
        let g = Graph { graph, index };
        let cycles: Vec<Vec<NodeIndex>> = tarjan_scc(&g.graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .collect();
        if cycles.is_empty() {
            return Ok(g);
        }
        Err(cycles
            .into_iter()
            .map(|c| g.cycle_diagnostic(cfg, c))
            .collect())
    }

    fn cycle_diagnostic(&self, cfg: &Config, comp: Vec<NodeIndex>) -> Diagnostic {
        // Order the members by following edges inside the component from the first-declared one.
        let members: std::collections::HashSet<NodeIndex> = comp.iter().copied().collect();
        let start = *comp
            .iter()
            .min_by_key(|n| {
                cfg.instance(&self.graph[**n])
                    .map(|i| (i.span.file, i.span.start))
            })
            .unwrap_or(&comp[0]);
        let mut order = vec![start];
        let mut cur = start;
        while order.len() < comp.len() {
            let next = self
                .graph
                .neighbors_directed(cur, Direction::Outgoing)
                .filter(|n| members.contains(n) && !order.contains(n))
                .min();
            match next {
                Some(n) => {
                    order.push(n);
                    cur = n;
                }
                None => {
                    order.extend(
                        comp.iter()
                            .filter(|n| !order.contains(n))
                            .copied()
                            .collect::<Vec<_>>(),
                    );
                    break;
                }
            }
        }
        let names: Vec<String> = order.iter().map(|n| self.graph[*n].to_string()).collect();
        let first = cfg.instance(&self.graph[start]);
        let mut d = Diagnostic::error(format!(
            "dependency cycle: {} -> {}",
            names.join(" -> "),
            names[0]
        ))
        .at_opt(first.map(|i| i.span))
        .help("break the cycle: remove one of these references or depends_on entries");
        for n in &order {
            let addr = &self.graph[*n];
            d = d.note(
                format!("{addr} is on the cycle"),
                cfg.instance(addr).map(|i| i.span),
            );
        }
        d
    }

    /// Instances in an order where every dependency comes first.
    pub fn topo_order(&self) -> Vec<InstanceAddr> {
        petgraph::algo::toposort(&self.graph, None)
            .unwrap_or_default()
            .into_iter()
            .map(|n| self.graph[n].clone())
            .collect()
    }

    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph terrane {\n  rankdir = \"LR\";\n  node [shape = box];\n");
        let mut nodes: Vec<&InstanceAddr> = self.graph.node_weights().collect();
        nodes.sort();
        for n in nodes {
            out.push_str(&format!("  {};\n", quote(&n.to_string())));
        }
        let mut edges: Vec<(String, String)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (self.graph[a].to_string(), self.graph[b].to_string()))
            .collect();
        edges.sort();
        for (a, b) in edges {
            out.push_str(&format!("  {} -> {};\n", quote(&b), quote(&a)));
        }
        out.push_str("}\n");
        out
    }

    /// JSON: `{"nodes": [...], "edges": [{"from": dependent, "to": dependency}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut nodes: Vec<String> = self.graph.node_weights().map(|n| n.to_string()).collect();
        nodes.sort();
        let mut edges: Vec<(String, String)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (self.graph[b].to_string(), self.graph[a].to_string()))
            .collect();
        edges.sort();
        serde_json::json!({
            "nodes": nodes,
            "edges": edges.into_iter().map(|(f, t)| serde_json::json!({"from": f, "to": t})).collect::<Vec<_>>(),
        })
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
