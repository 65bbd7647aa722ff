/**
 * A labelled form control with its hint and its error, tied together for assistive
 * technology (`aria-describedby`, `aria-invalid`).
 */
import { useId, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from 'react';

interface FieldFrameProps {
  label: string;
  hint?: ReactNode;
  /** The problem with the value, in words; announced politely as it changes. */
  error?: string | null | undefined;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  required?: boolean | undefined;
}

function FieldFrame({ label, hint, error, children, required }: FieldFrameProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const describedBy = [hintId, error ? errorId : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="required"> (required)</span> : null}
      </label>
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {children({ id, describedBy, invalid: Boolean(error) })}
      <p className="field-error" id={errorId} aria-live="polite">
        {error ?? ''}
      </p>
    </div>
  );
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & { label: string; hint?: ReactNode; error?: string | null | undefined };

export function TextField({ label, hint, error, required, ...input }: InputProps) {
  return (
    <FieldFrame label={label} hint={hint} error={error} required={required}>
      {({ id, describedBy, invalid }) => <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...input} />}
    </FieldFrame>
  );
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> & { label: string; hint?: ReactNode; error?: string | null | undefined };

export function TextAreaField({ label, hint, error, required, ...input }: TextAreaProps) {
  return (
    <FieldFrame label={label} hint={hint} error={error} required={required}>
      {({ id, describedBy, invalid }) => <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} required={required} {...input} />}
    </FieldFrame>
  );
}

interface SelectProps {
  label: string;
  hint?: ReactNode;
  error?: string | null | undefined;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ value: string; label: string }>;
  name?: string;
  required?: boolean | undefined;
  disabled?: boolean | undefined;
  /** A first, empty choice ("Choose a VPC"), selected while nothing is chosen. */
  placeholder?: string | undefined;
}

export function SelectField({ label, hint, error, value, onChange, options, name, required, disabled, placeholder }: SelectProps) {
  return (
    <FieldFrame label={label} hint={hint} error={error} required={required}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          name={name}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          required={required}
          disabled={disabled}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        >
          {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldFrame>
  );
}

type CheckboxProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'> & { label: string; hint?: ReactNode; error?: string | null | undefined };

/** A checkbox with its label beside it, and its hint and error tied to it like any field. */
export function CheckboxField({ label, hint, error, ...input }: CheckboxProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const describedBy = [hintId, error ? errorId : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <input id={id} type="checkbox" aria-describedby={describedBy} aria-invalid={error ? true : undefined} {...input} />
      <label htmlFor={id} className="inline-label">
        {label}
      </label>
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <p className="field-error" id={errorId} aria-live="polite">
        {error ?? ''}
      </p>
    </div>
  );
}

/**
 * A group of controls under one legend (the subnets of a VPC), with one hint and one
 * error for the group, tied to the fieldset.
 */
export function FieldsetField({ legend, hint, error, required, children }: { legend: string; hint?: ReactNode; error?: string | null | undefined; required?: boolean; children: ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const describedBy = [hintId, error ? errorId : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <fieldset className={`field fieldset${error ? ' field-invalid' : ''}`} aria-describedby={describedBy}>
      <legend>
        {legend}
        {required ? <span className="required"> (required)</span> : null}
      </legend>
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {children}
      <p className="field-error" id={errorId} aria-live="polite">
        {error ?? ''}
      </p>
    </fieldset>
  );
}

/** An error of the whole form (not about one field), announced when it appears. */
export function FormError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <div className="form-error" role="alert">
      {message}
    </div>
  );
}
