# ---- ProofreadPage stand-in (test only): emulates the parts of ProofreadPage and
# Disambiguator that the statistics read: quality tracking categories, the quality page
# property and the disambiguation and expectwithoutscans page properties. Not ProofreadPage. ----
$wgRCWatchCategoryMembership = true;
$wgExtensionMessagesFiles['StatsShimMagic'] = __DIR__ . '/Shim.i18n.magic.php';
$wgHooks['GetDoubleUnderscoreIDs'][] = static function ( &$ids ) { $ids[] = 'disambiguation'; $ids[] = 'expectwithoutscans'; };
$wgHooks['ParserFirstCallInit'][] = static function ( $parser ) {
	$parser->setHook( 'pagequality', static function ( $input, array $args, $parser, $frame ) {
		$names = [ 'Without_text', 'Not_proofread', 'Problematic', 'Proofread', 'Validated' ];
		$level = max( 0, min( 4, (int)( $args['level'] ?? 1 ) ) );
		$out = $parser->getOutput();
		$out->setPageProperty( 'proofread_page_quality_level', $level );
		$out->addCategory( $names[$level], $parser->getDefaultSort() ?: '' );
		return '';
	} );
};
