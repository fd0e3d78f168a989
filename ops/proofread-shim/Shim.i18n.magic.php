<?php
$magicWords = [];
$magicWords['en'] = [
	'disambiguation' => [ 0, '__DISAMBIG__' ],
	'expectwithoutscans' => [ 0, '__EXPECTWITHOUTSCANS__' ],
];
