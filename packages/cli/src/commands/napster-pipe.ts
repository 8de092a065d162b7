/**
 * A reader that goes away (`| head`) ends the command quietly instead of with an EPIPE stack
 * trace: what it wanted was written.
 */
export function quietOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
