#!/usr/bin/perl
# numdiff.pl TOL FILE_A FILE_B: exit 0 if the files are equal except that
# decimal numbers may differ by a relative TOL (|a - b| <= TOL * max(|a|, |b|),
# or both below TOL in magnitude); prints the first differing line otherwise.
use strict; use warnings;
my ($tol, $fa, $fb) = @ARGV;
open my $a, '<', $fa or die "$fa: $!"; open my $b, '<', $fb or die "$fb: $!";
my @a = <$a>; my @b = <$b>;
my $num = qr/-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+/;
if (@a != @b) { print "line counts differ: ", scalar(@a), " and ", scalar(@b), "\n"; exit 1; }
for my $i (0 .. $#a) {
	my @ta = split /($num)/, $a[$i]; my @tb = split /($num)/, $b[$i];
	my $same = @ta == @tb;
	for (my $k = 0; $same && $k < @ta; $k++) {
		if ($k % 2) {
			my ($x, $y) = ($ta[$k], $tb[$k]);
			my $m = abs($x) > abs($y) ? abs($x) : abs($y);
			$same = 0 unless abs($x - $y) <= $tol * $m || $m < $tol;
		} else {
			$same = 0 unless $ta[$k] eq $tb[$k];
		}
	}
	unless ($same) { printf "line %d:\n< %s> %s", $i + 1, $a[$i], $b[$i]; exit 1; }
}
exit 0;
