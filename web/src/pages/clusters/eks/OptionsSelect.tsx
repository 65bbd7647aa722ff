/**
 * A select whose choices come from one of the form's option lists: disabled while the list
 * loads, and when it cannot be loaded, AWS's refusal in words beside it (document 003's
 * "Could not load Security Groups for this VPC", "Key pairs are not loaded…") with a way
 * to try again once the role is fixed.
 */
import type { UseQueryResult } from '@tanstack/react-query';
import { SelectField } from '../../../components/FormField';

interface OptionsSelectProps<T> {
  label: string;
  name: string;
  /** "key pairs", for "Loading key pairs…". */
  what: string;
  list: UseQueryResult<T[]>;
  option: (item: T) => { value: string; label: string };
  value: string;
  onChange: (value: string) => void;
  /** A refusal of the form's submission about this field; wins over the list's own. */
  error: string | null;
  hint?: string;
  placeholder?: string;
  /** Why there is nothing to choose from yet ("Choose a VPC first"), or undefined. */
  waitingFor?: string | undefined;
}

export function OptionsSelect<T>({ label, name, what, list, option, value, onChange, error, hint, placeholder, waitingFor }: OptionsSelectProps<T>) {
  const loading = !waitingFor && list.isFetching && !list.data;
  const items = list.data ?? [];
  const empty = !waitingFor && list.isSuccess && items.length === 0;
  const status = waitingFor ?? (loading ? `Loading ${what}…` : empty ? `No ${what} found in this region for this role.` : undefined);
  return (
    <div className="options-field" data-field={name}>
      <SelectField
        label={label}
        name={name}
        required
        value={value}
        onChange={onChange}
        disabled={Boolean(waitingFor) || loading || list.isError}
        placeholder={status ?? placeholder ?? `Choose…`}
        options={items.map(option)}
        hint={hint}
        error={error ?? (list.isError ? list.error.message : null)}
      />
      {list.isError ? (
        <button type="button" className="button button-small retry" onClick={() => void list.refetch()}>
          Load {what} again
        </button>
      ) : null}
    </div>
  );
}
