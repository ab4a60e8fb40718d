// Prints one plain closing line, "N passed, N failed, N skipped", after jest's own summary,
// so CI logs carry a runner-neutral count of what ran.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numFailedTestSuites - results.testResults.filter((r) => r.numFailingTests > 0).length;
    const suffix = failedSuites > 0 ? ` (${failedSuites} test files failed to run)` : '';
    process.stdout.write(`\n${results.numPassedTests} passed, ${results.numFailedTests + Math.max(failedSuites, 0)} failed, ${skipped} skipped${suffix}\n`);
  }
}
module.exports = SummaryReporter;
