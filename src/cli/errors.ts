/** A failure with a one-line reason for the operator; printed as is, exit status 1. */
export class CliError extends Error {}
