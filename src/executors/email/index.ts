/**
 * The `email` target: notifications through SMTP, with payload placeholders
 * and a `Message-ID` derived from the execution.
 */
export { emailExecutor, validateEmailTarget, type EmailResult } from './email-executor.js';
export { EmailTargetSchema, type EmailTarget } from './schema.js';
export { render, parseTemplate, type TemplateScope, type RenderOptions } from './template.js';
