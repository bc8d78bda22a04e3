export { createSmsCodes, type SmsCodes, type SmsCodeStore, type Limiter } from './codes.js'
export { createLogGateway, createHttpGateway, maskPhone, type SmsGateway, type SmsMessage, type SmsPurpose, type HttpGatewaySettings } from './gateway.js'
export { SmsError } from './errors.js'
