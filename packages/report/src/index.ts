/**
 * @p2pkit/report (private): results to JSON and offline HTML with charts.
 */
export {};
