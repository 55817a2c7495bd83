/**
 * The settings schema as the dashboard sees it. app/ imports settings from here, never from broker/
 * (layering: app → server → broker); the one schema itself stays in broker/config/broker-config.ts.
 */
export {
  BrokerSettingsSchema,
  settingInfo,
  type BrokerSettings,
  type BrokerSettingsPatch,
  type SettingGroup,
  type SettingInfo,
} from '../../broker/config/broker-config';
