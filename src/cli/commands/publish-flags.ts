/**
 * The flags of `multinic publish attach|detach` and its fixed names, apart from the
 * command's code so registering the command loads neither the validator nor amqplib.
 */

/** CloudEvents `source` of events sent by hand (default of --source). */
export const PUBLISH_SOURCE = '/multinic/cli';

/** The `app_id` a person sees in the management UI for events sent by hand. */
export const PUBLISH_APP_ID = 'multinic-cli';

/**
 * The flags of `multinic publish attach|detach`, as commander hands them over (strings).
 * An attach needs --node, --port, --mac, --subnet-id, --network-id and --cidr; a detach
 * only --node and --port (the rest comes from the port's row when omitted).
 */
export interface PublishFlags {
  node: string;
  port: string;
  mac?: string;
  subnetId?: string;
  subnetName?: string;
  networkId?: string;
  cidr?: string;
  address?: string;
  mtu?: string;
  crNamespace?: string;
  crName?: string;
  generation?: string;
  source?: string;
  dryRun?: boolean;
  /** `text` (default: the event id on stdout, what was sent and where on stderr) or `json`. */
  output?: string;
}

/** The data fields a detach needs but may take from the port's row: the flags that name them. */
export const DETACH_FILLABLE = ['mac', 'subnetId', 'networkId', 'cidr'] as const;
