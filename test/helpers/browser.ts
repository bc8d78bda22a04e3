/*
 * Headless Chromium for the browser tests: Debian's chromium driven by playwright-core, with the
 * flags every test uses (no sandbox in containers, no GPU, no background traffic beyond loopback).
 */
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}

/**
 * Collects what must stay empty on a page under the strict CSP: console errors (a blocked inline
 * script or style shows up here) and responses of 400 or more. Failed loads are counted by status,
 * not by their console line, because the browser's own /favicon.ico probe 404s. Only the path of
 * a failed URL is kept, so no code or token from a query string lands in a test report.
 */
export function watchPageErrors(page: Page): { consoleErrors: string[]; failed: string[] } {
  const consoleErrors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text())
  })
  const failed: string[] = []
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) failed.push(`${response.status()} ${new URL(response.url()).pathname}`)
  })
  return { consoleErrors, failed }
}
