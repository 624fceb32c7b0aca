#!/usr/bin/perl
# plan_profile.pl [--shape] < plans: where the work of distributed
# statements runs, from EXPLAIN VERBOSE text or from auto_explain output
# (log_nested_statements, so the statements inside nfrec's SQL and plpgsql
# functions count too).  Each plan with a Citus Custom Scan is one of:
#   pushdown  the shards ran the statement; the coordinator only
#             concatenates (or sorts/limits) their rows
#   split     partial aggregates on the shards (worker_partial_agg, or Citus'
#             own rewrite of sum/avg/count/...), a combine on the coordinator
#   pull      the coordinator aggregates (or runs window functions over)
#             rows the shards returned
# and "subplans" counts Citus' "Distributed Subplan"s: results collected on
# the coordinator and sent back to the shards (recursive planning).
# Prints "statements=N pushdown=N split=N pull=N subplans=N", or with
# --shape, the one plan's kind (or "local" if no Citus scan).
use strict; use warnings;
my $shape = @ARGV && $ARGV[0] eq '--shape';
local $/; my $all = <STDIN>;
my %n = map { $_ => 0 } qw(statements pushdown split pull subplans);
my $kind = 'local';
for my $b (split /^LOG:\s+duration: [^\n]*plan:\n/m, $all) {
	next unless $b =~ /Custom Scan \(Citus/;
	$n{statements}++;
	$n{subplans} += () = $b =~ /Distributed Subplan/g;
	my ($top) = $b =~ /\A(.*?)Custom Scan \(Citus/s;
	my ($task) = $b =~ /->  Task(.*)\z/s;
	$task //= '';
	# the aggregates computed above the Custom Scan, e.g. nfrec.auc(
	my %fn = map { $_ => 1 } $top =~ /Output: .*?\b((?:nfrec\.)?\w+)\(/g;
	my ($query) = $task =~ /Query: ([^\n]*)/;
	$query //= '';
	if ($top !~ /Aggregate|WindowAgg/) { $kind = 'pushdown' }
	elsif ($task =~ /worker_partial_agg/ || grep { $query =~ /\Q$_\E\(/ } grep { /^nfrec\./ } keys %fn) { $kind = 'split' }
	elsif ($top =~ /Aggregate/ && $task =~ /Aggregate/ && $top =~ /Output: [^\n]*\b(?:sum|count|avg|min|max)\(/ && $top !~ /nfrec\./) { $kind = 'split' }
	else { $kind = 'pull' }
	$n{$kind}++;
}
if ($shape) { print "$kind\n" } else { print join(' ', map { "$_=$n{$_}" } qw(statements pushdown split pull subplans)), "\n" }
